"""Transitional alias of :mod:`lindae.workflow.threads` for rule scripts not yet migrated.

Thread pinning is workflow plumbing and lives in :mod:`lindae.workflow.threads`; the training
scripts still import it from here until they move to ``lindae.training``. Delete this module
once no script imports ``lindae.threads`` (tests/workflow/test_boundaries.py lists it as the one
science-side module allowed to import :mod:`lindae.workflow`).
"""

from lindae.workflow.threads import pin_threads

__all__ = ["pin_threads"]
