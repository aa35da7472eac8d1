"""Stage 1, load (files a scenario names or is): a regular file's bytes within a limit, and a
CSV table of numbers under a header row, located to its row on any fault.

A scenario may come from a stranger: a file it names is a relative path inside its own folder
(no '..', no link out, no device or pipe), read without blocking and never past its limit.
"""

from __future__ import annotations

import csv
import math
import os
import stat
from pathlib import Path, PurePosixPath

from explainer.foundation.errors import ScenarioError
from explainer.foundation.limits import Limits
from explainer.read.claims import PRINTED


def read_regular(
    file: str, key: str, path: Path, limits: Limits, limit: str, follow: bool = False
) -> bytes:
    """A regular file's bytes, at most the limit `limit` of them; a device, pipe or folder is
    refused before it is read (opened without blocking, so a pipe cannot hang us). A link is
    refused too, unless `follow` (a file the user names, not one a scenario names)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ScenarioError(file, key, "a file", "no such file") from None
    except OSError as e:
        raise ScenarioError(file, key, "a readable file", e.strerror or "unreadable") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ScenarioError(file, key, "a regular file", "a device, pipe or folder")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(getattr(limits, limit) + 1)
    except OSError as e:
        raise ScenarioError(file, key, "a readable file", e.strerror or "unreadable") from None
    finally:
        os.close(fd)
    if len(data) > getattr(limits, limit):
        raise limits.exceeded(file, key, limit, "a file", "a larger file")
    return data


def csv_bytes(file: str, name: str, limits: Limits, where: str = "data.csv") -> bytes:
    """A CSV file's bytes: a regular file inside the scenario's folder (a relative path without
    '..', no link out of the folder, no device or pipe), at most `csv_bytes` long."""
    rel = PurePosixPath(name)
    if not name or "\\" in name or rel.is_absolute() or ".." in rel.parts or ":" in name:
        raise ScenarioError(
            file, where, "a relative path inside the scenario's folder, without '..'", repr(name)
        )
    folder = Path(file).parent.resolve()
    path = (folder / rel).resolve()
    if not path.is_relative_to(folder):
        raise ScenarioError(file, where, "a file inside the scenario's folder", "a link out of it")
    return read_regular(file, where, path, limits, "csv_bytes")


def csv_table(
    file: str, name: str, limits: Limits, section: str, width: int | None, columns: str
) -> tuple[tuple[str, ...], tuple[tuple[float, ...], ...]]:
    """The header and the rows of numbers of the CSV file `name` beside the scenario (lines
    starting with '#' are comments), each row `width` finite numbers (`columns` says which, for
    the message), or with `width` None as many as the header names."""
    where = f"{section}.csv ({name})"
    try:
        lines = csv_bytes(file, name, limits, f"{section}.csv").decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise ScenarioError(file, where, "a UTF-8 text file", "other bytes") from None
    try:
        rows = list(csv.reader(x for x in lines if x.strip() and not x.startswith("#")))
    except csv.Error as e:
        raise ScenarioError(file, where, "CSV rows of numbers", str(e)) from None
    if len(rows) < 2:
        raise ScenarioError(
            file, where, "a header row and at least one data row", f"{len(rows)} rows"
        )
    if len(rows) - 1 > limits.examples:
        raise limits.exceeded(file, where, "examples", "a training set", len(rows) - 1)
    if all(PRINTED.fullmatch(cell.strip()) for cell in rows[0]):
        raise ScenarioError(file, f"{where}, row 1", "a header row naming the columns", "numbers")
    header = tuple(c.strip() for c in rows[0])
    if width is None:
        width, columns = len(header), "one per column the header names"
    return header, tuple(
        _row(file, f"{where}, row {i}", row, width, columns)
        for i, row in enumerate(rows[1:], start=2)
    )


def _row(file: str, where: str, row: list[str], width: int, columns: str) -> tuple[float, ...]:
    if len(row) != width:
        raise ScenarioError(file, where, f"{width} columns ({columns})", f"{len(row)}")
    bad = next((c for c in row if not PRINTED.fullmatch(c.strip())), None)
    if bad is not None:
        raise ScenarioError(file, where, "numbers", repr(bad[:40]))
    values = tuple(float(x) for x in row)
    if not all(math.isfinite(v) for v in values):
        raise ScenarioError(file, where, "finite numbers", "a number too large")
    return values
