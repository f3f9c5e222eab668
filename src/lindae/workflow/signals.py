"""A run stopped by SIGTERM stops as cleanly as one stopped by Ctrl-C.

Snakemake stops cleanly on SIGINT: the running jobs are interrupted, their incomplete outputs
removed, the lock released. On SIGTERM (``kill``, a scheduler ending the session, systemd) it
instead waits for the running jobs to finish, then exits with "At least one job did not complete
successfully". :func:`stop_like_ctrl_c` replaces that handler, once Snakemake has installed its
own: the signal is forwarded to the run's own processes (the running jobs) as SIGINT, exactly
what Ctrl-C in a terminal would deliver to them, and the main thread gets the
``KeyboardInterrupt`` Snakemake handles for Ctrl-C (cluster jobs are cancelled the same way).
:func:`explain_stop` then turns the end of such a run into one clear line and the exit status
128 + the signal number; :func:`wrap_execute` puts it (and what a real run does first) around
Snakemake's ``workflow.execute``. Never imports snakemake.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "stop_like_ctrl_c",
    "stopped_by",
    "explain_stop",
    "interrupt_descendants",
    "wrap_execute",
]

# The signal that stopped this run (None while running normally).
_STOPPED: list[int] = []
# How long an interrupted job may take to exit before it is sent SIGTERM, then SIGKILL.
GRACE_SECONDS = 20.0


def stopped_by() -> int | None:
    """The signal number that stopped this run, or None."""
    return _STOPPED[0] if _STOPPED else None


def interrupt_descendants(grace: float = GRACE_SECONDS) -> int:
    """Send SIGINT to every process this one started (directly or not): the running jobs and
    their children; any still alive after ``grace`` seconds gets SIGTERM, then SIGKILL.
    Returns how many were signalled. Never signals a process outside this run's tree.
    """
    import psutil  # a Snakemake dependency

    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.send_signal(signal.SIGINT)
        except psutil.Error:
            continue  # ended meanwhile

    def escalate() -> None:
        _, alive = psutil.wait_procs(children, timeout=grace)
        for stubborn in alive:
            try:
                stubborn.terminate()
            except psutil.Error:
                continue
        _, alive = psutil.wait_procs(alive, timeout=5)
        for stubborn in alive:
            try:
                stubborn.kill()
            except psutil.Error:
                continue

    if children:
        threading.Thread(target=escalate, name="lindae-stop", daemon=True).start()
    return len(children)


def stop_like_ctrl_c(
    signals: Iterable[int] = (signal.SIGTERM,),
    say: Callable[[str], Any] = lambda text: print(text, file=sys.stderr, flush=True),
) -> None:
    """Handle ``signals`` in this process as Ctrl-C: record it, say so, interrupt the running
    jobs (:func:`interrupt_descendants`) and raise ``KeyboardInterrupt`` in the main thread.

    Call from the main thread once Snakemake's scheduler exists (its own SIGTERM handler waits
    for the running jobs). A signal that was ignored when the run started stays ignored. A
    second signal while stopping changes nothing.
    """

    def stop(signum: int, frame: Any) -> None:
        if _STOPPED:
            return  # already stopping: let the jobs end
        _STOPPED.append(signum)
        name = signal.Signals(signum).name
        say(
            f"lindae: {name} received: stopping like Ctrl-C; the running jobs are "
            "interrupted and their incomplete outputs removed"
        )
        interrupt_descendants()
        raise KeyboardInterrupt

    for signum in signals:
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue
        signal.signal(signum, stop)


def explain_stop(error: BaseException | None) -> None:
    """After a run stopped by a signal: raise ``SystemExit(128 + signal)`` with one line that
    says what happened (in place of Snakemake's "At least one job did not complete
    successfully" or a ``KeyboardInterrupt``). Does nothing when no signal stopped the run."""
    signum = stopped_by()
    if signum is None:
        return
    name = signal.Signals(signum).name
    print(
        f"lindae: stopped by {name}: the running jobs were interrupted, their incomplete "
        "outputs removed and the lock released; finished results are kept. Run the same "
        "command again to continue.",
        file=sys.stderr,
        flush=True,
    )
    sys.stdout.flush()
    raise SystemExit(128 + signum) from error


def wrap_execute(execute: Callable[..., Any], before: Callable[[], Any]) -> Callable[..., Any]:
    """Snakemake's ``workflow.execute``, calling ``before()`` first in a real run (not with -n,
    whose executor settings say ``dryrun_exec``), and ending a run stopped by a signal with
    :func:`explain_stop`. Should Snakemake stop passing ``executor_plugin``, ``before`` runs
    in dry runs too, never not at all.

    Lives outside the Snakefiles on purpose: Snakemake names the innermost Snakefile line of
    an error's traceback, and "At least one job did not complete successfully" must not point
    at this wrapper.
    """

    @functools.wraps(execute)
    def execute_after(*args: Any, **kwargs: Any) -> Any:
        settings = getattr(kwargs.get("executor_plugin"), "common_settings", None)
        if not getattr(settings, "dryrun_exec", False):
            before()
        try:
            result = execute(*args, **kwargs)
        except BaseException as error:
            explain_stop(error)
            raise
        explain_stop(None)  # a stop that Snakemake did not report as a failure
        return result

    return execute_after
