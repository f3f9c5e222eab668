"""lindae.workflow.code_deps reads import statements without parsing whole files: it must find
every import that Python's own parser finds, in every form the library and scripts could use."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, parsed_imports

from lindae.workflow.code_deps import imported_modules, library_dependencies

SOURCES = sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "workflow" / "scripts").glob("*.py")])


FORMS = textwrap.dedent(
    '''
    """A docstring whose prose begins like an import:
    from the spectrum we derive the rates (not code), and
    import times are measured too.
    """
    import os, sys as system
    from a.b import (
        c,  # a comment (with parentheses)
        d,
    )
    from e import f  # (an unclosed parenthesis in a comment
    from g \\
        import h
    from . import sibling
    from ..parent import thing


    def lazy():
        import torch
        if True:
            from numpy.linalg import (eigh)
        return torch
    '''
)


def test_every_form_of_import_statement_is_found():
    found = imported_modules(FORMS, package="pkg.sub")
    assert found == parsed_imports(FORMS, "pkg.sub")
    expected = {"os", "sys", "a.b.c", "a.b.d", "e.f", "g.h", "pkg.sub.sibling"}
    assert expected | {"pkg.parent.thing", "torch", "numpy.linalg.eigh"} <= found


def test_relative_imports_need_a_package():
    assert imported_modules("from . import x\nimport y\n") == {"y"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_library_and_script_file_reads_as_pythons_parser_does(path: Path):
    source = path.read_text(encoding="utf-8")
    # the package a module's relative imports resolve in (a script has none)
    parts = path.relative_to(ROOT / "src").parts[:-1] if "src" in path.parts else ()
    package = ".".join(parts)
    assert imported_modules(source, package or None) == parsed_imports(source, package)


def test_a_script_depends_on_what_it_imports_transitively(tmp_path: Path):
    library = tmp_path / "src" / "pkg"
    library.mkdir(parents=True)
    (library / "__init__.py").write_text("")
    (library / "top.py").write_text("def f():\n    from pkg import (\n        leaf,\n    )\n")
    (library / "leaf.py").write_text("import numpy\n")
    (library / "unused.py").write_text("")
    script = tmp_path / "script.py"
    script.write_text("from pkg.top import f\n")
    assert library_dependencies(script, [tmp_path / "src"], relative_to=tmp_path) == [
        "src/pkg/__init__.py",
        "src/pkg/leaf.py",
        "src/pkg/top.py",
    ]


@pytest.mark.parametrize(
    "script", sorted(path.name for path in (ROOT / "workflow" / "scripts").glob("*.py"))
)
def test_compute_jobs_do_not_depend_on_how_figures_are_written_or_drawn(script: str):
    """An edit to the figure side (tables' CSV text, plotting, the figure modules) reruns the
    cheap figure jobs only: no download, spectrum or training script imports it."""
    figure_side = {"figure_output.py", "csv_format.py", "tables.py", "claims.py"}
    found = library_dependencies(ROOT / "workflow" / "scripts" / script, [ROOT / "src"], ROOT)
    names = {Path(path).relative_to("src/lindae").as_posix() for path in found}
    if script.startswith(("figure_", "claims")):
        assert "figure_output.py" in names, names  # the check below tests something
        return
    drawn = sorted(n for n in names if n in figure_side or n.startswith("figures/"))
    assert not drawn, f"{script} imports figure-side modules {drawn}: editing them would rerun it"
