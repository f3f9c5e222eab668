"""Every rule's conda environment is complete on its own: its script imports nothing else.

No conda here, so each environment is imitated from this venv: for every rule with a script,
the script's import statements (only those, in source order, as in test_rebuild_triggers),
then the lazy imports inside functions of every library module that loaded (unless guarded
by ``except ImportError``), run
in a fresh ``python -I -S`` (no site-packages, no PYTHONPATH) whose only extra folder holds
links to the files of the distributions its ``conda:`` file names (conda names mapped to
PyPI names), of their own requirements (transitively, markers evaluated, no extras) and of the
library ``lindae``. Their ``.dist-info`` folders come along, so ``importlib.metadata`` sees the
same distributions and no others. A rule whose script (or the library modules it loads) needs
a package its env file lacks fails with the ModuleNotFoundError; a copy of an env file with
one needed package removed shows that the check does fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from conftest import BIN, ROOT, write_datasets
from packaging.requirements import Requirement

pytestmark = pytest.mark.workflow

# conda-forge names whose PyPI distribution is called differently
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "pytorch": "torch"}

# Which script and env file each rule has, from the parsed workflow (Snakemake's API).
RULE_ENVS = r"""
import json, os, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

checkout, *configfiles = map(Path, sys.argv[1:])
with SnakemakeApi(OutputSettings()) as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(cores=1),
        config_settings=ConfigSettings(configfiles=configfiles),
        snakefile=checkout / "Snakefile",
        workdir=checkout,
    )._workflow
    rules = {
        rule.name: [
            os.path.normpath(os.path.join(str(rule.basedir), rule.script)),
            os.path.normpath(os.path.join(str(rule.basedir), str(rule.conda_env))),
        ]
        for rule in workflow.rules
        if rule.script is not None
    }
print("RULES=" + json.dumps(rules))
"""

# Run only the import statements of a script, with nothing but the stdlib and ``folder``; then
# the lazy imports of the library modules it loaded.
IMPORTS_ONLY = r"""
import ast, importlib, importlib.util, sys

folder, script = sys.argv[1:]
sys.path.append(folder)
sys.dont_write_bytecode = True
tree = ast.parse(open(script, encoding="utf-8").read())
imports = sorted(
    (node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))),
    key=lambda node: (node.lineno, node.col_offset),
)
exec(compile(ast.Module(body=imports, type_ignores=[]), script, "exec"), {})


# Then the lazy imports (inside functions) of every lindae module loaded, unless guarded by
# `except ImportError` (optional extras): the env must serve what the library's code can reach.
def guarded(node, parents):
    return any(
        isinstance(parent, ast.Try)
        and any(
            isinstance(handler.type, ast.Name)
            and handler.type.id in ("ImportError", "ModuleNotFoundError")
            for handler in parent.handlers
        )
        for parent in parents
    )


def lazy_imports(tree, package):
    stack = [(child, ()) for child in ast.iter_child_nodes(tree)]
    while stack:
        node, parents = stack.pop()
        inside = any(isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)) for p in parents)
        if inside and not guarded(node, parents):
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                yield importlib.util.resolve_name("." * node.level + (node.module or ""), package)
        stack += [(child, (*parents, node)) for child in ast.iter_child_nodes(node)]


done = set()
while True:
    todo = [
        (name, module) for name, module in list(sys.modules.items())
        if name.split(".")[0] == "lindae" and name not in done and getattr(module, "__file__", None)
    ]
    if not todo:
        break
    for name, module in todo:
        done.add(name)
        tree = ast.parse(open(module.__file__, encoding="utf-8").read())
        package = name if module.__file__.endswith("__init__.py") else name.rpartition(".")[0]
        for lazy in lazy_imports(tree, package):
            importlib.import_module(lazy)

# Last, the third-party modules the library binds with lindae.lazy.lazy_import (loaded on first
# use in a real job): the env must have them too.
if "lindae.lazy" in sys.modules:
    sys.modules["lindae.lazy"].load_requested()
"""


def conda_names(env_file: Path) -> list[str]:
    """Package names of an env file (``name=version`` pins), python left out."""
    names = []
    for spec in yaml.safe_load(env_file.read_text())["dependencies"]:
        name = re.split(r"[=<>!\s]", spec, maxsplit=1)[0].lower()
        if name != "python":
            names.append(name)
    return names


def distributions(names: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``names`` (PyPI) and everything they require, recursively
    (environment markers evaluated, extras not requested)."""
    found: dict[str, metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = re.sub(r"[-_.]+", "-", pending.pop()).lower()
        if name in found:
            continue
        dist = metadata.distribution(name)
        found[name] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return found


def environment_folder(env_file: Path, folder: Path) -> Path:
    """A folder of links to the files of the env's distributions and to the library."""
    pypi = [CONDA_TO_PYPI.get(name, name) for name in conda_names(env_file)]
    return distribution_folder(pypi, folder)


def distribution_folder(names: list[str], folder: Path) -> Path:
    """A folder of links to the files of the distributions ``names`` (PyPI), of everything they
    require and to the library."""
    folder.mkdir(parents=True)
    for dist in distributions(names).values():
        for path in dist.files or []:
            top = path.parts[0]
            if top.endswith(".pth") or top == ".." or (folder / top).exists():
                continue
            source = Path(dist.locate_file(top))
            if source.exists():
                (folder / top).symlink_to(source)
    (folder / "lindae").symlink_to(ROOT / "src" / "lindae")
    return folder


def run_imports(script: Path, env_file: Path, folder: Path) -> subprocess.CompletedProcess:
    """The script's import statements in an interpreter that sees only the env (and lindae)."""
    environment_folder(env_file, folder)
    home = folder.with_name(f"{folder.name}-home")  # its own caches: checks may run at once
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [str(BIN / "python"), "-I", "-S", "-c", IMPORTS_ONLY, str(folder), str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder.parent,
    )


@pytest.fixture(scope="module")
def rule_envs(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Rule name -> (script, env file), for every rule that runs a script."""
    workdir = tmp_path_factory.mktemp("isolation")
    overlay = write_datasets(workdir)
    result = subprocess.run(
        [
            str(BIN / "python"),
            "-c",
            RULE_ENVS,
            str(ROOT),
            str(ROOT / "config" / "config.yaml"),
            str(overlay),
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("RULES="))
    return {name: (Path(s), Path(e)) for name, (s, e) in json.loads(line[6:]).items()}


def test_the_check_sees_nothing_else(tmp_path):
    """The imitated environment hides the venv: a package outside the env is not importable."""
    folder = environment_folder(ROOT / "envs" / "data.yaml", tmp_path / "env")
    probe = "import sys; sys.path.append(sys.argv[1]); import numpy, torch; import matplotlib"
    result = subprocess.run(
        [str(BIN / "python"), "-I", "-S", "-c", probe, str(folder)],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert result.returncode != 0
    assert "No module named 'matplotlib'" in result.stderr, result.stderr


def test_every_rule_imports_only_what_its_env_has(rule_envs, tmp_path):
    assert {"figure_plot", "fig1_data", "fig5_agreement", "train_linear", "claims"} <= set(
        rule_envs
    ), sorted(rule_envs)
    pairs = sorted(set(rule_envs.values()))
    assert all(env_file.parent == ROOT / "envs" for _, env_file in pairs), pairs
    folders = [tmp_path / f"env{number}" for number in range(len(pairs))]
    with ThreadPoolExecutor(max_workers=2) as pool:  # one interpreter per core
        results = list(pool.map(run_imports, *zip(*pairs, strict=True), folders))
    failures = []
    for (script, env_file), result in zip(pairs, results, strict=True):
        if result.returncode != 0:
            rules = sorted(name for name, pair in rule_envs.items() if pair == (script, env_file))
            error = (result.stderr.strip().splitlines() or ["?"])[-1]
            failures.append(f"{', '.join(rules)} ({script.name} in {env_file.name}): {error}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "package",
    [
        "seaborn",  # imported by the figure modules at the top
        "scipy",  # imported inside a function of lindae.scalar (the ODE integrator)
    ],
)
def test_a_missing_package_fails_the_check(rule_envs, tmp_path, package):
    script, env_file = rule_envs["fig1_data"]
    env = yaml.safe_load(env_file.read_text())
    kept = [spec for spec in env["dependencies"] if not spec.startswith(f"{package}=")]
    assert len(kept) == len(env["dependencies"]) - 1
    broken = tmp_path / env_file.name
    broken.write_text(yaml.safe_dump({**env, "dependencies": kept}))
    assert run_imports(script, env_file, tmp_path / "whole").returncode == 0
    result = run_imports(script, broken, tmp_path / "broken")
    assert result.returncode != 0
    assert f"No module named '{package}'" in result.stderr, result.stderr


# Snakemake's command line, run from a folder that holds nothing but Snakemake's own
# distribution and its requirements: as when it is installed with pipx or in conda's base.
SNAKEMAKE_ALONE = r"""
import sys

sys.path.append(sys.argv[1])
sys.argv = ["snakemake", *sys.argv[2:]]
from snakemake.cli import main

main()
"""


def test_snakemake_in_an_environment_of_its_own_plans_every_job(tmp_path):
    """Parsing and planning need only Snakemake and its requirements: no numpy, pandas,
    matplotlib or torch (the figures' metadata imports them on first use only)."""
    folder = distribution_folder(["snakemake"], tmp_path / "snakemake-env")
    assert not {"numpy", "pandas", "matplotlib", "torch"} & {p.name for p in folder.iterdir()}
    overlay = write_datasets(tmp_path)
    result = subprocess.run(
        [str(BIN / "python"), "-I", "-S", "-c", SNAKEMAKE_ALONE, str(folder)]
        + ["--snakefile", str(ROOT / "Snakefile"), "--directory", str(tmp_path)]
        + ["--configfile", str(ROOT / "config" / "config.yaml"), str(overlay)]
        + ["--dry-run", "--cores", "1"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"^total\s+\d+", output, re.M), output
    assert not (tmp_path / "results").exists()


if __name__ == "__main__":  # pragma: no cover - ad-hoc: python test_isolation.py ENV SCRIPT
    sys.exit(run_imports(Path(sys.argv[2]), Path(sys.argv[1]), Path(sys.argv[3])).returncode)
