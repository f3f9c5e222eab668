"""Conda environment files, checked statically (no conda on the build machines)."""

import re

import pytest
import yaml
from conftest import ROOT

ENV_FILES = sorted((ROOT / "envs").glob("*.yaml"))
# conda-forge names that differ from the PyPI names in requirements.txt
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "pytorch": "torch"}
# What `make env` installs: the workflow and its tests, and the SLURM executor (its own folder)
REQUIREMENTS = ("requirements.txt", "requirements-slurm.txt")


def _lines(name: str) -> list[str]:
    """The requirement lines of one file, comments dropped."""
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line]


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (line for name in REQUIREMENTS for line in _lines(name)):
        name, version = line.split("==")
        assert name.lower() not in pins, f"{name} is pinned twice"
        pins[name.lower()] = version
    return pins


def _conda_pins(path) -> dict[str, str]:
    pins = {}
    for spec in yaml.safe_load(path.read_text())["dependencies"]:
        assert isinstance(spec, str), f"{path.name}: nested pip sections are not allowed"
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)=([0-9][0-9A-Za-z.]*)", spec)
        assert match, f"{path.name}: {spec!r} is not an exact 'name=version' pin"
        pins[match[1].lower()] = match[2]
    return pins


def test_env_files_exist():
    assert {p.name for p in ENV_FILES} >= {"data.yaml", "train.yaml", "figures.yaml"}


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_channels_and_exact_pins(path):
    env = yaml.safe_load(path.read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    pins = _conda_pins(path)
    assert "python" in pins


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.name)
def test_pins_equal_requirements(path):
    requirements = _requirements()
    for name, version in _conda_pins(path).items():
        pypi_name = CONDA_TO_PYPI.get(name, name)
        if pypi_name in requirements:
            assert version == requirements[pypi_name], f"{path.name}: {name}={version}"


def test_same_python_everywhere():
    versions = {_conda_pins(path)["python"] for path in ENV_FILES}
    assert len(versions) == 1, versions
    (version,) = versions
    assert version.startswith("3.11")


@pytest.mark.parametrize("name", REQUIREMENTS)
def test_requirements_are_exact_pins(name):
    assert _lines(name), f"{name} is empty"
    for line in _lines(name):
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line), f"{name}: {line}"


def test_the_slurm_executor_stays_out_of_the_main_requirements():
    """Snakemake imports every executor plugin it finds at start: the SLURM one only where a
    SLURM run asks for it (requirements-slurm.txt, installed into a folder of its own)."""
    main = {line.split("==")[0].lower() for line in _lines("requirements.txt")}
    assert not {name for name in main if name.startswith("snakemake-executor-plugin-")}, main
    slurm = {line.split("==")[0].lower() for line in _lines("requirements-slurm.txt")}
    assert "snakemake-executor-plugin-slurm" in slurm


def test_every_rule_uses_an_existing_env():
    """Each rule's conda: names one of envs/*.yaml."""
    rules_text = "\n".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    # named rules and the rules generated per figure (`rule:` inside a loop)
    rule_count = len(re.findall(r"^\s*rule(?: \w+)?:", rules_text, flags=re.M))
    envs = re.findall(r'conda:\s*\n\s*"\.\./\.\./envs/([\w-]+\.yaml)"', rules_text)
    assert len(envs) == rule_count
    for name in envs:
        assert (ROOT / "envs" / name).is_file(), name
