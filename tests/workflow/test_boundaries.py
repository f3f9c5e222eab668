"""The science package and the workflow plumbing stay apart; paths jobs record are portable.

``lindae`` (the science) never imports ``lindae.workflow`` (the plumbing), and the plumbing never
imports snakemake: both are checked in the source (every import statement, lazy ones included)
and at run time in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import BIN, ROOT, parsed_imports

from lindae.workflow.code_deps import job_path

LIBRARY = ROOT / "src" / "lindae"


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative ones resolved in lindae[.x])."""
    package = ".".join(path.relative_to(LIBRARY.parent).with_suffix("").parts[:-1])
    return parsed_imports(path.read_text(encoding="utf-8"), package)


SCIENCE = sorted(p for p in LIBRARY.rglob("*.py") if "workflow" not in p.relative_to(LIBRARY).parts)
PLUMBING = sorted((LIBRARY / "workflow").glob("*.py"))


@pytest.mark.parametrize("path", SCIENCE, ids=lambda p: str(p.relative_to(LIBRARY)))
def test_science_never_imports_the_plumbing(path):
    found = sorted(name for name in _imports(path) if name.startswith("lindae.workflow"))
    assert not found, f"{path.name} imports {found}"


@pytest.mark.parametrize("path", PLUMBING, ids=lambda p: p.name)
def test_plumbing_never_imports_snakemake(path):
    found = sorted(name for name in _imports(path) if name.split(".")[0] == "snakemake")
    assert not found, f"workflow/{path.name} imports {found}"


def test_at_run_time_too():
    science = [
        ".".join(("lindae", *p.relative_to(LIBRARY).with_suffix("").parts))
        for p in SCIENCE
        if p.stem != "__init__"
    ]
    plumbing = [f"lindae.workflow.{p.stem}" for p in PLUMBING if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for name in {science!r}: importlib.import_module(name)\n"
        "assert not [m for m in sys.modules if m.startswith('lindae.workflow')], 'science'\n"
        f"for name in {plumbing!r}: importlib.import_module(name)\n"
        "assert 'snakemake' not in sys.modules, 'plumbing'\n"
    )
    result = subprocess.run(
        [str(BIN / "python"), "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stderr


def test_job_paths_are_relative_only_when_checkout_and_workdir_move_together(tmp_path):
    checkout = tmp_path / "checkout"
    library = checkout / "src" / "lindae" / "io.py"
    assert job_path(library, checkout, checkout) == "src/lindae/io.py"
    assert job_path(library, checkout, checkout / "runs" / "a") == "../../src/lindae/io.py"
    assert job_path(library, checkout, tmp_path) == "checkout/src/lindae/io.py"
    assert job_path(checkout, checkout, checkout) == "."
    elsewhere = tmp_path / "scratch" / "run"
    assert job_path(library, checkout, elsewhere) == str(library)
    assert job_path(checkout, checkout, elsewhere) == str(checkout)
