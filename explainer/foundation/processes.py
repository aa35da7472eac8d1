"""Foundation (processes): whether a process is running: what a killed run left behind (a temporary
file or folder named with its process id) may be removed once its process is gone."""

from __future__ import annotations

import os


def alive(pid: str) -> bool:
    """True while the process `pid` (a decimal string) runs, or when we may not ask."""
    if not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True
