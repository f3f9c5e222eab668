"""Editing library code reruns exactly the jobs whose scripts import it: results never stale.

Set-up (once): a copy of the checkout whose working directory holds every output of the default
target and of the target ``analysis`` as an old file, the library and all other inputs older still;
the datasets are tiny fake ``.npz`` imports, so planning needs no download. Then every library
module is made newer than the outputs and, script by script, ``snakemake -n --rerun-triggers
mtime --allowed-rules <the rules running it> <their outputs>`` says why each of their jobs must
run: ``Updated input files: ...`` names the library files that schedule it. For every job of a
rule with a script they must be exactly the library files its script imports, directly or
transitively: each of those reruns the rule, no other module does. (Only one script's rules per
dry run: with every rule allowed, Snakemake would give a job downstream of another rerun job
only the reason "Input files updated by another job". Rules that share a script never read each
other's outputs; if one did, its jobs would lack the reason, and the test would say so.)

The expected side does not use :mod:`lindae.workflow.code_deps`: which script each rule runs is
read from the parsed workflow (Snakemake's API), and which library files a script imports is
observed by executing only the script's import statements in a fresh interpreter and listing
the ``lindae`` modules that end up in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import BIN, copy_checkout, job_stats, snakemake, write_datasets

pytestmark = pytest.mark.workflow

INPUTS, OUTPUTS, TOUCHED = 1_000_000_000, 1_100_000_000, 1_200_000_000  # mtimes, seconds
UPDATED = re.compile(r"Updated input files: ([^;\n]+)")
#: Each planned job's reason line (after its message, or in its rule block when it has none).
REASON = re.compile(r"^\s*reason: (.+)$", flags=re.M | re.I)

# Which script each rule runs, and its named inputs, from the parsed workflow.
RULE_SCRIPTS = r"""
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
    )._workflow  # the parsed workflow: Snakemake has no public accessor for its rules
    rules = {
        rule.name: {
            "script": os.path.normpath(os.path.join(str(rule.basedir), rule.script)),
            "inputs": list(rule.input.keys()),
        }
        for rule in workflow.rules
        if rule.script is not None
    }
print("RULES=" + json.dumps(rules))
"""

# The library files each script loads: run only its import statements, in source order.
SCRIPT_IMPORTS = r"""
import ast, json, os, sys

source, *scripts = sys.argv[1:]
sys.path.insert(0, source)
sys.dont_write_bytecode = True
loaded = {}
for script in scripts:
    for name in [name for name in sys.modules if name.split(".")[0] == "lindae"]:
        del sys.modules[name]
    with open(script, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    imports = sorted(
        (node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))),
        key=lambda node: (node.lineno, node.col_offset),
    )
    exec(compile(ast.Module(body=imports, type_ignores=[]), script, "exec"), {})
    loaded[script] = sorted(
        os.path.relpath(module.__file__, os.path.dirname(source))
        for name, module in list(sys.modules.items())
        if name.split(".")[0] == "lindae" and getattr(module, "__file__", None)
    )
print("IMPORTS=" + json.dumps(loaded))
"""


def _python(code: str, *args: str, marker: str, cwd: Path) -> dict:
    result = subprocess.run(
        [str(BIN / "python"), "-c", code, *args], capture_output=True, text=True, cwd=cwd
    )
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith(marker))
    return json.loads(line[len(marker) :])


def _age(root: Path, seconds: int) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            os.utime(Path(folder) / name, (seconds, seconds))


def _summary(checkout: Path, configs: tuple[Path, ...]) -> list[dict[str, str]]:
    """The rows of ``snakemake --summary`` (one per output file of the default target and of
    the target ``analysis``, whose rules the default target never plans)."""
    result = snakemake(
        checkout,
        "--summary",
        "all",
        "analysis",
        "--rerun-triggers",
        "mtime",
        configs=configs,
        checkout=checkout,
    )
    header, *rows = [line.split("\t") for line in result.stdout.splitlines() if "\t" in line]
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The aged checkout, its configs and what each rule is expected to depend on."""
    checkout = copy_checkout(tmp_path_factory.mktemp("triggers") / "checkout")
    configs = (write_datasets(checkout),)
    rules = _python(
        RULE_SCRIPTS,
        str(checkout),
        str(checkout / "config" / "config.yaml"),
        *map(str, configs),
        marker="RULES=",
        cwd=checkout,
    )
    scripts = sorted({rule["script"] for rule in rules.values()})
    imports = _python(
        SCRIPT_IMPORTS, str(checkout / "src"), *scripts, marker="IMPORTS=", cwd=checkout
    )
    outputs = [row["output_file"] for row in _summary(checkout, configs)]
    _age(checkout, INPUTS)
    for output in outputs:
        path = checkout / output
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        os.utime(path, (OUTPUTS, OUTPUTS))
    return checkout, configs, rules, imports


def test_every_script_rule_declares_its_code(workdir):
    _, _, rules, imports = workdir
    assert "train_linear" in rules and "figure_plot" in rules, sorted(rules)
    for name, rule in rules.items():
        assert "code" in rule["inputs"], f"rule {name} runs a script but has no code input"
        assert imports[rule["script"]], f"{rule['script']} imports no library module"


def test_nothing_is_out_of_date_before_an_edit(workdir):
    checkout, configs, rules, _ = workdir
    rows = _summary(checkout, configs)
    assert {row["status"] for row in rows} == {"ok"}, rows
    assert set(rules) <= {row["rule"] for row in rows}  # every script rule is planned


def _library(checkout: Path) -> list[Path]:
    return sorted(
        path for path in (checkout / "src").rglob("*.py") if "__pycache__" not in path.parts
    )


def test_editing_library_code_reruns_exactly_the_importers(workdir):
    checkout, configs, rules, imports = workdir
    outputs: dict[str, list[str]] = {}
    for row in _summary(checkout, configs):
        outputs.setdefault(row["rule"], []).append(row["output_file"])
    library = _library(checkout)
    assert len(library) > 10, library
    for path in library:
        os.utime(path, (TOUCHED, TOUCHED))

    def check(script: str) -> str | None:
        """The problem with the rerun reasons of the rules that run ``script``, or None."""
        names = sorted(name for name, rule in rules.items() if rule["script"] == script)
        result = snakemake(
            checkout,
            "-n",
            "--rerun-triggers",
            "mtime",
            "--allowed-rules",
            *names,
            "--",
            *(output for name in names for output in outputs[name]),
            configs=configs,
            checkout=checkout,
        )
        output = result.stdout + result.stderr
        label = f"{os.path.basename(script)} (rules {', '.join(names)})"
        planned = job_stats(output)
        unplanned = sorted(set(names) - set(planned))
        if unplanned:
            return f"{label}: no job of {unplanned} scheduled\n{output}"
        reasons = REASON.findall(output)
        if len(reasons) != sum(planned.values()):
            return f"{label}: {len(reasons)} reasons for {sum(planned.values())} jobs\n{output}"
        expected = set(imports[script])
        problems = []
        for reason in reasons:
            updated = UPDATED.search(reason)
            if updated is None:
                problems.append(f"{label}: a job scheduled by no updated input: {reason}")
                continue
            found = {path.strip() for path in updated[1].split(",")}
            found = {path for path in found if path.startswith("src/")}
            if found != expected:
                problems.append(
                    f"{label}: not rerun by {sorted(expected - found)}, needlessly rerun by "
                    f"{sorted(found - expected)}"
                )
        return "\n".join(dict.fromkeys(problems)) or None  # one line per distinct problem

    try:
        # dry runs write nothing (test_parse_purity): two at a time, one per core
        with ThreadPoolExecutor(max_workers=2) as pool:
            scripts = sorted({rule["script"] for rule in rules.values()})
            problems = [problem for problem in pool.map(check, scripts) if problem]
    finally:
        for path in library:
            os.utime(path, (INPUTS, INPUTS))
    assert not problems, "\n".join(problems)
