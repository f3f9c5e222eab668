"""lindae as a Snakemake ``module`` of another workflow, from a git source with a prefix.

A host workflow in a temporary folder uses this checkout, committed to a temporary local git
repository, through ``gitfile(...)`` (Snakemake's local-git source: nothing of the checkout's
folders is used), with ``prefix: "lindae"`` and its config given by the host (the shipped
config, Figs 1-4 shrunk, the datasets replaced by tiny fake imports). A dry run plans exactly
the jobs of ``all`` that the plain checkout plans; a real run of Figs 1-4 writes everything
under the prefix and prints the claims' summary (a module runs no ``onsuccess``).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import (
    BIN,
    SMALL_FIGURES,
    copy_checkout,
    job_stats,
    snakemake,
    write_datasets,
    write_yaml,
)

pytestmark = pytest.mark.workflow

TAG = "module-test"
HOST = """\
configfile: "config/lindae.yaml"


module lindae:
    snakefile:
        gitfile({repository!r}, path="workflow/Snakefile", tag={tag!r})
    config:
        config
    prefix:
        "lindae"


use rule * from lindae as lindae_*


rule all:
    default_target: True
    input:
        rules.lindae_all.input,
"""
# No PYTHONPATH or bytecode settings of the test's shell: as for a user's host workflow.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}


def _merge(base: dict, overlay: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _git(repository: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
        cwd=repository,
        check=True,
        capture_output=True,
    )


def _host_snakemake(host: Path, *args: str, configs: tuple[Path, ...] = ()) -> str:
    command = [str(BIN / "snakemake"), "--directory", str(host), *args]
    if configs:
        command += ["--configfile", str(host / "config" / "lindae.yaml"), *map(str, configs)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=host, env=ENV)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture(scope="module")
def host(tmp_path_factory, default_config):
    """(host folder, its lindae config): the host workflow around the committed checkout."""
    root = tmp_path_factory.mktemp("module")
    repository = copy_checkout(root / "lindae")
    _git(repository, "init", "-q")
    _git(repository, "add", "-A")
    _git(repository, "commit", "-q", "-m", "lindae under test")
    _git(repository, "tag", TAG)
    host = root / "host"
    (host / "config").mkdir(parents=True)
    data = yaml.safe_load(write_datasets(root).read_text())
    small = {key: value for key, value in SMALL_FIGURES.items() if key != "figures"}
    config = _merge(_merge(default_config, small), data)
    write_yaml(host / "config" / "lindae.yaml", config)
    (host / "Snakefile").write_text(HOST.format(repository=str(repository), tag=TAG))
    return host, config


def test_dry_run_plans_every_job_of_all(host, tmp_path):
    folder, config = host
    output = _host_snakemake(folder, "-n", "--cores", "1")
    stats = job_stats(output)
    # the plain checkout, same config: the same jobs (the module's rules renamed lindae_*)
    plain = snakemake(
        tmp_path, "-n", "--cores", "1", configs=(write_yaml(tmp_path / "c.yaml", config),)
    )
    expected = job_stats(plain.stdout + plain.stderr)
    assert expected.pop("default") == 1, expected  # the root Snakefile's target rule
    assert expected["train_nonlinear"] == 6 and expected["figure_plot"] == 14, expected
    assert stats.pop("all") == 1, stats
    assert stats == {f"lindae_{name}": count for name, count in expected.items()}, output
    assert "lindae/results/figures/fig6.pdf" in output
    assert " results/" not in output.replace("lindae/results/", ""), output


@pytest.fixture(scope="module")
def figures_run(host):
    folder, _ = host
    overlay = write_yaml(folder / "figs.yaml", {"figures": [1, 2, 3, 4]})
    output = _host_snakemake(folder, "--cores", "2", configs=(overlay,))
    return folder, output


def test_real_run_writes_everything_under_the_prefix(figures_run):
    folder, _ = figures_run
    results = folder / "lindae" / "results"
    for number in (1, 2, 3, 4):
        for suffix in ("", "_corrected"):
            for ending in (".pdf", ".png", ".csv", "_notes.json"):
                assert (results / "figures" / f"fig{number}{suffix}{ending}").is_file()
    assert (results / "claims.csv").is_file()
    captions = (results / "report" / "captions.rst").read_text()
    assert 'snakemake.wildcards.stem == "fig4"' in captions, captions
    assert "No such file" not in captions, captions  # the claims read the prefixed tables
    claims = (results / "claims.csv").read_text()
    assert "nan" not in claims.lower(), claims
    provenance = json.loads((results / "provenance.json").read_text())
    assert provenance["stages"], provenance  # benchmarks found under the prefix
    assert provenance["git"]["commit"] is None  # a remote source: no checkout to read
    assert not (folder / "results").exists()
    # the library came from the git source, copied into the host's .snakemake/
    assert (folder / ".snakemake" / "lindae" / "src" / "lindae" / "figures" / "fig1.py").is_file()
    assert sorted(p.name for p in folder.iterdir()) == [
        ".snakemake",
        "Snakefile",
        "config",
        "figs.yaml",
        "lindae",
    ]


def test_the_claims_summary_is_printed(figures_run):
    _, output = figures_run
    assert "lindae claims (lindae/results/claims.csv): " in output, output
    assert "claims pass." in output or "claims FAIL:" in output, output


def test_nothing_to_do_after_the_run(figures_run):
    folder, _ = figures_run
    output = _host_snakemake(folder, "-n", "--cores", "1", configs=(folder / "figs.yaml",))
    assert "Nothing to be done" in output, output
