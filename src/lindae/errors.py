"""Errors a user causes and can fix: their message is the whole story, no traceback needed.

A job that fails with a :class:`UserError` prints its message as one clear line on the
terminal (``lindae: error: ...``) and logs it; the traceback of anything else, a bug, still
goes to the job's log (:func:`lindae.io.job_log`). Library errors that a setting, a file or
the environment causes derive from it (with a builtin base too, e.g. ``ValueError``, so that
callers catching those still do). Never imports snakemake.
"""

from __future__ import annotations

__all__ = ["UserError", "DeviceError", "is_user_error"]


class UserError(Exception):
    """A failure whose message says what happened and what to do."""


class DeviceError(UserError, RuntimeError):
    """The device settings cannot be used: ``cuda`` without a visible GPU, a job given a GPU
    that PyTorch does not see, ``device: cpu`` with GPUs given."""


def is_user_error(error: BaseException) -> bool:
    """Whether ``error`` is one a user fixes (its message is enough, no traceback)."""
    return isinstance(error, UserError)
