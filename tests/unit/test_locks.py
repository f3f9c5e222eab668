"""lindae.workflow.locks: a killed run's stale locks are removed, a live run's never (case 9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lindae.workflow import locks


def _lock(state: Path) -> None:
    (state / "locks").mkdir(parents=True)
    (state / "locks" / "0.output.lock").write_text("results/x.npz\n")


def _owner(state: Path, pid: int, host: str | None = None, started: float | None = None):
    import socket

    folder = state / locks.OWNERS
    folder.mkdir(parents=True, exist_ok=True)
    host = host or socket.gethostname()
    entry = {"host": host, "pid": pid, "started": started}
    (folder / f"{host}.{pid}.json").write_text(json.dumps(entry))


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_locks_of_a_dead_run_are_removed(tmp_path):
    _lock(tmp_path)
    pid = _dead_pid()
    _owner(tmp_path, pid)
    assert locks.clear_stale_locks(tmp_path) == [pid]
    assert not (tmp_path / "locks").exists()
    assert list((tmp_path / locks.OWNERS).iterdir()) == []


def test_stale_locks_without_any_registered_run_are_removed(tmp_path):
    _lock(tmp_path)
    assert locks.clear_stale_locks(tmp_path) == [0]
    assert not (tmp_path / "locks").exists()


def test_locks_of_a_live_run_are_kept(tmp_path):
    _lock(tmp_path)
    locks.register_run(tmp_path)  # this very process: alive
    assert locks.clear_stale_locks(tmp_path) == []
    assert (tmp_path / "locks" / "0.output.lock").exists()


def test_locks_of_a_run_on_another_host_are_kept(tmp_path):
    _lock(tmp_path)
    _owner(tmp_path, 1, host="some-other-login-node")
    assert locks.clear_stale_locks(tmp_path) == []
    assert (tmp_path / "locks").exists()


def test_a_reused_pid_does_not_keep_stale_locks(tmp_path):
    _lock(tmp_path)
    _owner(tmp_path, os.getpid(), started=1.0)  # our pid, but a process started in 1970
    assert locks.clear_stale_locks(tmp_path) == [os.getpid()]


def test_no_locks_nothing_to_do(tmp_path):
    _owner(tmp_path, _dead_pid())
    assert locks.clear_stale_locks(tmp_path) == []
