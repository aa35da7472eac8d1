"""Stage 8, compile (output): writing pages to disk, all or nothing.

`write_files` writes a whole set: every file in full to a temporary file beside it, and only
then all renamed into place, so a full disk leaves none of the set. `replace_folder`, for
`build`, makes a whole new version of the output folder in a staging folder beside it (hard links to the files it keeps, the new files
written in) and swaps the two in one atomic step (renameat2's RENAME_EXCHANGE on Linux; two
renames elsewhere, which the next run finishes), so a build killed at any moment leaves the old
set whole or the new set whole, never a mix. What a killed run leaves behind (temporary files,
staging folders) carries its process id and is removed, or finished, by the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from explainer.foundation.errors import OutputError
from explainer.foundation.processes import alive

TMP = ".explainer-tmp-"  # + pid + "-" + random: a file being written
STAGING = ".explainer-staging-"  # .<folder>.explainer-staging-<pid>: a new version being built
OLD = ".explainer-old-"  # .<folder>.explainer-old-<pid>: the version being replaced

Content = str | bytes


def write_files(files: Mapping[Path, Content]) -> None:
    """Write every file, all or none: each is written in full to a temporary file beside its
    place first (a full disk or an unwritable folder is then an OutputError naming the file,
    with nothing of the set written), and only then are they all renamed into place."""
    folders = sorted({p.parent for p in files})
    for folder in folders:
        remove_stale_temp_files(folder)
    # the folders this write makes, removed again if the set cannot be written
    new = {d for f in folders for d in (f, *f.parents) if not d.exists()}
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            staged.append((_staged(path, content), path))
        with _signals_held():  # Ctrl-C or SIGTERM waits until the set is in place
            while staged:
                tmp, path = staged[0]
                try:
                    os.replace(tmp, path)
                except OSError as e:
                    raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None
                staged.pop(0)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if staged:
            _remove_empty(new)


def _remove_empty(folders: set[Path]) -> None:
    """The folders a failed write made (none it found), deepest first, where they are empty."""
    for folder in sorted(folders, key=lambda f: -len(f.parts)):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _write(path: Path, content: Content) -> None:
    os.replace(_staged(path, content), path)


def _staged(path: Path, content: Content) -> str:
    """`content` written in full to a temporary file beside `path`, whose name it returns. A
    path that is there already must be a file: the rename would replace a device (/dev/zero),
    a pipe or a link itself, not write into it."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise OutputError(
                f"{path}: there is a device, pipe, folder or link there, not a file to replace"
            )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TMP}{os.getpid()}-")
    except OSError as e:
        raise OutputError(f"{path}: cannot write here ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a page is for reading
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_folder(out: Path, files: Mapping[str, Content]) -> None:
    """A new version of `out`: its present files, with `files` (names inside it) written over
    them, swapped in whole."""
    out = out.absolute()
    pid = os.getpid()
    stage = out.parent / f".{out.name}{STAGING}{pid}"
    old = out.parent / f".{out.name}{OLD}{pid}"
    try:
        recover(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        stage.mkdir()
        if out.is_dir():
            shutil.copymode(out, stage)
            _link_files(out, stage)
        for name, content in files.items():
            _write(stage / name, content)
        with _signals_held():  # Ctrl-C or SIGTERM waits until the swap is done
            if not out.exists():
                os.rename(stage, out)
            elif not _exchange(stage, out):  # no atomic exchange here: two renames
                os.rename(out, old)
                os.rename(stage, out)
    except OSError as e:
        raise OutputError(f"{out}: cannot write the new pages ({e.strerror or e})") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back (delivered when the block ends), where the system can."""
    held = {signal.SIGINT, signal.SIGTERM}
    can = (
        hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    )
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held) if can else set()
    try:
        yield
    finally:
        if can:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 with RENAME_EXCHANGE); False where
    the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _link_files(out: Path, stage: Path) -> None:
    """The files `out` holds now, hard-linked into the staging folder (copied where a link
    cannot be made); a folder inside `out` is refused: build writes a folder of its own."""
    for entry in sorted(out.iterdir()):
        if entry.name.startswith(TMP):
            continue
        if entry.is_dir() and not entry.is_symlink():
            raise OutputError(
                f"{out}: holds the folder {entry.name}; build writes pages into a folder of "
                "its own (choose one with -o DIR)"
            )
        try:
            os.link(entry, stage / entry.name, follow_symlinks=False)
        except OSError:
            shutil.copy2(entry, stage / entry.name, follow_symlinks=False)


def recover(out: Path) -> None:
    """Finish or undo what a killed build left beside `out`: a staging folder that was complete
    (the old folder already moved aside) is swapped in; anything else is removed."""
    for old in sorted(out.parent.glob(glob.escape(f".{out.name}{OLD}") + "*")):
        pid = old.name.rsplit("-", 1)[-1]
        if alive(pid):
            continue
        stage = out.parent / f".{out.name}{STAGING}{pid}"
        if not out.exists():
            os.rename(stage if stage.is_dir() else old, out)
        shutil.rmtree(old, ignore_errors=True)
    for stage in sorted(out.parent.glob(glob.escape(f".{out.name}{STAGING}") + "*")):
        if not alive(stage.name.rsplit("-", 1)[-1]):
            shutil.rmtree(stage, ignore_errors=True)
    if out.is_dir():
        remove_stale_temp_files(out)


def remove_stale_temp_files(folder: Path) -> None:
    """Temporary files of runs that were killed while writing."""
    if not folder.is_dir():
        return
    for tmp in folder.glob(glob.escape(TMP) + "*"):
        if not alive(tmp.name[len(TMP) :].split("-", 1)[0]):
            with contextlib.suppress(OSError):
                tmp.unlink()
