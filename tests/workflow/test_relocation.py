"""A finished checkout that is copied or moved has nothing to do: no path of the old place is
baked into a job (parameters, inputs, code), so results neither rerun needlessly nor go stale.

The checkout is also the working directory (as with `make figures`) and has run its default
target for Figs 1-4 at small settings (figures, claims, provenance: the ``provenance`` rule's
repository parameter is a path). Every rerun trigger is on (Snakemake's default).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import job_stats, planned_jobs, snakemake

pytestmark = pytest.mark.workflow


def _dry_run(checkout: Path, *args: str) -> str:
    result = snakemake(checkout, "-n", *args, configs=(checkout / "small.yaml",), checkout=checkout)
    return result.stdout + result.stderr


def test_a_copied_checkout_has_nothing_to_do(small_figures_checkout, tmp_path):
    copy = tmp_path / "copies" / "of" / "checkout"
    copy.parent.mkdir(parents=True)
    subprocess.run(["cp", "-a", str(small_figures_checkout), str(copy)], check=True)
    output = _dry_run(copy)
    assert not planned_jobs(output), output


def test_a_moved_checkout_has_nothing_to_do_and_still_sees_edits(small_figures_checkout, tmp_path):
    first = tmp_path / "first"
    subprocess.run(["cp", "-a", str(small_figures_checkout), str(first)], check=True)
    assert not planned_jobs(_dry_run(first))  # metadata now says: planned from `first`
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    shutil.move(first, moved)
    output = _dry_run(moved)
    assert not planned_jobs(output), output
    # the moved checkout's code inputs are its own library: an edit there reruns (an edit:
    # Snakemake compares the checksums of small inputs, so a mere touch reruns nothing)
    theory = moved / "src" / "lindae" / "theory.py"
    theory.write_text(theory.read_text() + "\n# edited\n")
    stats = job_stats(_dry_run(moved))
    assert sum(stats.get(f"fig{n}_data", 0) for n in (1, 2, 3, 4)) == 8, stats
    assert stats.get("claims") == 1 and stats.get("provenance") == 1, stats
