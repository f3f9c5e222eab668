"""Stale Snakemake locks: clear the ones a killed run left behind, never a live run's.

Snakemake locks the files a run will read and write (``.snakemake/locks``), so a second
invocation that would touch them is refused. A run killed with SIGKILL (or a power loss) cannot
remove its locks, and Snakemake then refuses every later run until ``--unlock``. To make the
next run just work, each real run of the workflow (not a dry run, lint or listing) registers
its process here (``.snakemake/lindae-owners/<host>.<pid>.json``, removed at exit) *before*
Snakemake takes its locks, and removes the locks only when no registered process on this host
is still alive, and none is registered from another host (whose liveness cannot be checked;
Snakemake's usual message then applies). Never imports snakemake.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
from pathlib import Path

__all__ = ["clear_stale_locks", "register_run"]

OWNERS = "lindae-owners"


def _alive(pid: int, started: float | None) -> bool:
    """Whether ``pid`` is running and is the same process that registered (not a reused pid)."""
    import psutil  # a Snakemake dependency

    try:
        process = psutil.Process(pid)
        return started is None or abs(process.create_time() - started) < 1.0
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True


def _owners(state: Path) -> list[tuple[Path, dict]]:
    folder = state / OWNERS
    entries = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            entries.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue  # being written or removed by its owner right now
    return entries


def clear_stale_locks(state: str | os.PathLike[str] = ".snakemake") -> list[int]:
    """Remove Snakemake's locks in ``state`` if every process that could hold them is dead.

    Forgets the registrations of dead processes on this host. Returns the pids of the dead
    runs whose locks were removed (empty when nothing was removed).
    """
    state = Path(state)
    host = socket.gethostname()
    dead, live_or_unknown = [], 0
    for path, owner in _owners(state):
        if owner.get("host") == host and not _alive(int(owner["pid"]), owner.get("started")):
            dead.append(int(owner["pid"]))
            path.unlink(missing_ok=True)
        else:
            live_or_unknown += 1
    locks = state / "locks"
    if live_or_unknown or not locks.is_dir() or not any(locks.iterdir()):
        return []
    shutil.rmtree(locks, ignore_errors=True)
    return dead or [0]


def register_run(state: str | os.PathLike[str] = ".snakemake") -> Path:
    """Record this process as a possible lock holder in ``state``, until it exits."""
    import psutil

    folder = Path(state) / OWNERS
    folder.mkdir(parents=True, exist_ok=True)
    host, pid = socket.gethostname(), os.getpid()
    path = folder / f"{host}.{pid}.json"
    started = psutil.Process(pid).create_time()
    path.write_text(json.dumps({"host": host, "pid": pid, "started": started}), encoding="utf-8")
    atexit.register(path.unlink, missing_ok=True)
    return path
