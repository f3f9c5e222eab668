"""Planning is pure: a dry run, the linter and the rule listing change nothing on disk.

Each command runs in a throw-away checkout that is also the working directory (as with `make
figures`), so the library, the config and the results are all watched: every path outside
``.snakemake/`` keeps its size, modification time and mode, and nothing appears or vanishes
(not even a ``__pycache__``). Snakemake's own state in ``.snakemake/`` may change.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import copy_checkout, planned_jobs, snakemake, tree_state, write_yaml

pytestmark = pytest.mark.workflow

# Python may write bytecode caches (whatever this shell says), as on a user's machine.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
COMMANDS = {
    "dry run": ("-n",),
    "lint": ("--lint",),
    "target rules": ("--list-target-rules",),
}


def _assert_unchanged(before: dict, after: dict) -> None:
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = sorted(path for path in before.keys() & after.keys() if before[path] != after[path])
    assert not (added or removed or changed), (
        f"created {added}, deleted {removed}, changed {changed}"
    )


def _run_all(checkout: Path, configs: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every planning command in ``checkout``, the tree compared after each; their outputs."""
    outputs = {}
    for name, args in COMMANDS.items():
        before = tree_state(checkout)
        result = snakemake(
            checkout, *args, "--cores", "1", configs=configs, checkout=checkout, env=ENV
        )
        _assert_unchanged(before, tree_state(checkout))
        outputs[name] = result.stdout + result.stderr
    return outputs


def test_planning_a_fresh_checkout_writes_nothing(tmp_path):
    checkout = copy_checkout(tmp_path / "checkout")
    outputs = _run_all(checkout)
    assert planned_jobs(outputs["dry run"])  # the whole default target, downloads included
    assert "Lints for" not in outputs["lint"], outputs["lint"]
    assert "fig4" in outputs["target rules"]


def test_planning_a_finished_results_folder_writes_nothing(small_figures_checkout, tmp_path):
    checkout = tmp_path / "checkout"
    subprocess.run(["cp", "-a", str(small_figures_checkout), str(checkout)], check=True)
    small = (checkout / "small.yaml",)
    assert (checkout / "results" / "report" / "captions.rst").is_file()
    outputs = _run_all(checkout, small)
    assert not planned_jobs(outputs["dry run"]), outputs["dry run"]
    # plans that would rewrite finished results (a changed setting, a single figure target)
    longer = write_yaml(tmp_path / "longer.yaml", {"fig2": {"epochs": 500}})
    for args, configs in (
        (("fig2",), (*small, longer)),
        (("--forceall", "fig1"), small),
    ):
        before = tree_state(checkout)
        result = snakemake(checkout, "-n", *args, configs=configs, checkout=checkout, env=ENV)
        _assert_unchanged(before, tree_state(checkout))
        assert planned_jobs(result.stdout + result.stderr)


def test_a_dry_run_does_not_write_the_report_placeholder(small_figures_checkout, tmp_path):
    """The captions placeholder for --report comes from a finished run, never from parsing."""
    checkout = tmp_path / "checkout"
    subprocess.run(["cp", "-a", str(small_figures_checkout), str(checkout)], check=True)
    (checkout / "results" / "report" / "captions.rst").unlink()
    small = (checkout / "small.yaml",)
    snakemake(checkout, "-n", "fig1", configs=small, checkout=checkout, env=ENV)
    assert not (checkout / "results" / "report" / "captions.rst").exists()


def test_a_dry_run_leaves_a_killed_runs_locks_alone(small_figures_checkout, tmp_path):
    """Only a real run clears stale locks (tests/test_faults.py), just before it locks."""
    checkout = tmp_path / "checkout"
    subprocess.run(["cp", "-a", str(small_figures_checkout), str(checkout)], check=True)
    locks = checkout / ".snakemake" / "locks"
    locks.mkdir(exist_ok=True)
    (locks / "0.output.lock").write_text("results/figures/fig1.csv\n")
    owners = checkout / ".snakemake" / "lindae-owners"
    before = sorted(owners.iterdir()) if owners.is_dir() else []
    result = snakemake(checkout, "-n", configs=(checkout / "small.yaml",), checkout=checkout)
    assert "removed the Snakemake locks" not in result.stderr
    assert (locks / "0.output.lock").is_file()
    assert (sorted(owners.iterdir()) if owners.is_dir() else []) == before  # none registered
