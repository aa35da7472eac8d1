"""Foundation (errors): the only exceptions explainer raises on purpose. Only `cli.py`
turns them into exit codes.

Every message names where the problem is (file, key path), what was expected and what was found,
so a reader can fix a scenario without reading our code.
"""

from __future__ import annotations


class ExplainerError(Exception):
    """Base class: a problem the user can fix; the CLI prints it on one line and exits 2."""


class ScenarioError(ExplainerError):
    """A scenario file that cannot be read or does not describe a valid network."""

    def __init__(self, file: str, key: str, expected: str, found: str) -> None:
        self.file, self.key, self.expected, self.found = file, key, expected, found
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: expected {expected}, found {found}")


class UsageError(ExplainerError):
    """A command line that asks for something that cannot be done."""


class ArithmeticModeError(ExplainerError):
    """A scenario asked for an arithmetic mode its functions cannot be computed in."""


class NumericError(ExplainerError):
    """Numbers that overflow or are undefined for a valid scenario (a learning rate too large)."""


class TexError(ExplainerError):
    """No TeX engine, or a document that did not compile; `log` holds TeX's log, which the
    command line keeps beside the output."""

    def __init__(self, message: str, log: bytes = b"") -> None:
        super().__init__(message)
        self.log = log


class MissingCharacter(TexError):
    """A character that no installed font has (an emoji in a student's name): the document
    cannot be set, and `character` says which."""

    def __init__(self, message: str, character: str, log: bytes = b"") -> None:
        super().__init__(message, log)
        self.character = character


class NotationError(ExplainerError):
    """A formula the notation produced that an output format cannot write (MathML)."""


class OutputError(ExplainerError):
    """An output folder or file that cannot be written (no permission, a file in the way, a full
    disk); nothing of the command's output is left half-written."""
