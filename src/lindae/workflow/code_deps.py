"""Which library files a rule script depends on, derived from its imports (never listed by hand).

Snakemake reruns a job when its script changes, but not when a module that script imports
changes. The workflow therefore declares, as inputs of each rule, the library files its script
imports, directly or through other library modules. They are found by reading the ``import``
statements (anywhere in a file, so lazy imports count too) of the script and then of each
library module it reaches, without importing anything: cheap at parse time and free of side
effects. Paths come back relative to a base folder (the working directory); :func:`job_path`
says how a job should record a path of the checkout so that relocating plans the same jobs.
"""

from __future__ import annotations

import ast
import os
import re
import textwrap
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

__all__ = ["imported_modules", "module_file", "library_dependencies", "job_path"]


# Where an import statement may begin: a line whose first word is ``import`` or ``from``.
_IMPORT_START = re.compile(r"^[ \t]*(?:import|from)[ \t]", re.MULTILINE)


def _import_statements(source: str) -> Iterator[str]:
    """The text of each statement of ``source`` that begins like an import, dedented: its
    lines up to the parenthesis that closes a name list, or over ``\\`` continuations.
    Parsing these few lines instead of the whole file makes a parse of the workflow ~15x
    cheaper; a line of a string that reads like an import is taken too (a spare dependency)."""

    def line_end(position: int) -> int:
        found = source.find("\n", position)
        return len(source) if found < 0 else found

    def code(begin: int, end: int) -> str:  # a line without its comment
        return source[begin:end].split("#")[0]

    covered = 0  # the end of the last statement: its own lines never start another
    for match in _IMPORT_START.finditer(source):
        start = match.start()
        if start < covered:
            continue
        end = line_end(start)
        line = code(start, end)
        depth = line.count("(") - line.count(")")
        while (depth > 0 or line.rstrip().endswith("\\")) and end < len(source):
            begin, end = end + 1, line_end(end + 1)
            line = code(begin, end)
            depth += line.count("(") - line.count(")")
        covered = end
        yield textwrap.dedent(source[start:end])


def imported_modules(source: str, package: str | None = None) -> set[str]:
    """Absolute names of the modules ``source`` imports (``from . import x`` resolved in
    ``package``). ``from a import b`` yields ``a`` and ``a.b`` (``b`` may be a submodule)."""
    names: set[str] = set()
    for statement in _import_statements(source):
        try:
            nodes = ast.parse(statement).body
        except SyntaxError:  # prose that begins with "from ", in a docstring
            continue
        for node in nodes:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    if package is None:
                        continue
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1])
                    module = f"{base}.{node.module}" if node.module else base
                else:
                    module = node.module or ""
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def module_file(name: str, roots: Iterable[Path]) -> Path | None:
    """The file of module ``name`` under one of ``roots`` (a package's ``__init__.py``)."""
    relative = Path(*name.split("."))
    for root in roots:
        for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


@cache
def _file_imports(path: Path, package: str | None) -> frozenset[str]:
    """:func:`imported_modules` of one file, read and parsed once per parse of the workflow."""
    return frozenset(imported_modules(path.read_text(encoding="utf-8"), package))


@cache
def _module_file(name: str, roots: tuple[Path, ...]) -> Path | None:
    return module_file(name, roots)


@cache
def _closure(script: Path, roots: tuple[Path, ...]) -> frozenset[Path]:
    found: set[Path] = set()
    pending = [(script, None)]
    while pending:
        path, package = pending.pop()
        for name in _file_imports(path, package):
            parts = name.split(".")
            # importing a.b.c runs a/__init__.py and a/b/__init__.py first
            for depth in range(1, len(parts) + 1):
                prefix = ".".join(parts[:depth])
                target = _module_file(prefix, roots)
                if target is None or target in found:
                    continue
                found.add(target)
                is_package = target.name == "__init__.py"
                pending.append((target, prefix if is_package else prefix.rpartition(".")[0]))
    return frozenset(found)


def library_dependencies(
    script: str | os.PathLike[str],
    roots: Iterable[str | os.PathLike[str]],
    relative_to: str | os.PathLike[str] = ".",
) -> list[str]:
    """Sorted paths (relative to ``relative_to``) of every file under ``roots`` that ``script``
    imports, directly or transitively; modules outside ``roots`` (numpy, torch...) are ignored.
    """
    closure = _closure(Path(script).resolve(), tuple(Path(root).resolve() for root in roots))
    base = Path(relative_to).resolve()
    return sorted(os.path.relpath(path, base) for path in closure)


def job_path(
    path: str | os.PathLike[str],
    checkout: str | os.PathLike[str],
    workdir: str | os.PathLike[str] = ".",
) -> str:
    """``path`` (a file of the workflow ``checkout``) as a job should record it.

    Relative to ``workdir`` when the checkout and the working directory move together (one
    holds the other, e.g. results inside the checkout), so that a copied or moved checkout plans
    the same jobs; absolute otherwise, so that moving only the working directory does (the
    checkout stays where it is). Snakemake reruns a job whose recorded inputs or parameters
    differ, so either way relocating reruns nothing that did not change.
    """
    path, checkout, workdir = (Path(p).resolve() for p in (path, checkout, workdir))
    together = checkout == workdir or checkout in workdir.parents or workdir in checkout.parents
    return os.path.relpath(path, workdir) if together else str(path)
