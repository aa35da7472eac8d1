"""Foundation (work): a bound on how much work a computation may do, counted, not timed.

sympy can take minutes, or for ever, on an expression a stranger writes (its assumptions ask
about every subexpression, its simplifications expand powers). A clock would make a page depend
on the machine; instead the Python calls made inside are counted (sys.settrace, this thread
only, call events only) and the computation is stopped past a number of them: the same input
stops at the same place on every machine. On ours, 3 million calls take a few seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

SYMPY_CALLS = 3_000_000  # calls one sympy computation of ours may make (shipped ones: < 200,000)


class OutOfWork(BaseException):
    """The computation ran past its count of calls. A BaseException, as KeyboardInterrupt is:
    sympy catches `Exception` in places (an assumption it cannot decide), and a tracer that
    raises is switched off, so an OutOfWork sympy swallowed would leave it running unbounded."""


@contextmanager
def bounded(calls: int = SYMPY_CALLS) -> Iterator[None]:
    """The Python calls made inside counted; OutOfWork past `calls`. The tracer in place
    before (a debugger's, coverage's) is put back after."""
    made = 0
    previous = sys.gettrace()

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal made
        made += 1
        if made == calls + 1:  # once: a frame closed on the way out is not stopped again
            raise OutOfWork
        # None: no line events in the frame, only its call is counted

    sys.settrace(count)
    try:
        yield
    finally:
        sys.settrace(previous)


def said(e: BaseException) -> str:
    """What stopped a bounded sympy computation, for an error message: the bound, or sympy's own
    words ("Invalid comparison of non-real zoo"), cut short."""
    if isinstance(e, OutOfWork | MemoryError):
        return f"more than {SYMPY_CALLS:,} steps of sympy's work"
    return str(e)[:100]
