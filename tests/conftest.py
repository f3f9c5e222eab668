"""Shared fixtures and helpers: repository paths, the default config, the one Snakemake runner,
throw-away checkouts and file-tree snapshots.
"""

from __future__ import annotations

import ast
import copy
import fcntl
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from lindae.workflow.threads import pin_threads  # imports neither numpy nor torch

# pytest-xdist runs one worker more than there are cores (the Makefile): with torch's and the
# BLAS's default of a thread per core each, the workers' threads oversubscribe the cores and
# spin against each other. One thread per worker, set before numpy or torch loads.
if os.environ.get("PYTEST_XDIST_WORKER"):
    pin_threads({"compute_threads": 1}, job_threads=1)

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from lindae.workflow.download import fetch_dataset

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "config.yaml"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
# The tests' overlay that turns the run-time estimate off (it times this machine in
# Snakemake's own process, seconds per run); only the estimate's own tests keep it.
NO_ESTIMATE = ROOT / "tests" / "data" / "no_estimate.yaml"
BIN = Path(sys.executable).parent
# The SLURM executor's folder (requirements-slurm.txt, the Makefile's SLURM_PLUGINS): kept off
# sys.path, a SLURM run puts it on PYTHONPATH (slurm_environment).
SLURM_PLUGINS = BIN.parent / "slurm"
# What a checkout needs to run the workflow (results and .snakemake are the working directory's).
CHECKOUT = ("Snakefile", "workflow", "src", "config", "profiles", "envs")
# Figs 1-4 at a fraction of the paper's epochs and runs: the same jobs, in seconds.
SMALL_FIGURES = {
    "figures": [1, 2, 3, 4],
    "style": {"dpi": 50},
    "fig1": {"epochs": 40, "runs": 3},
    "fig2": {"epochs": 400},
    "fig3": {"epochs": 400, "rate_grid": {"start": 0.0, "stop": 10.0, "step": 0.5}},
    "fig4": {"epochs": 100, "random_runs": 3},
}


# Session fixtures that several test modules use, each a finished Snakemake run (declared with
# shared_fixture below, which lists them here). The Makefile's workflow phase runs a module per
# pytest-xdist worker at a time (--dist loadfile); built_once makes the workers share one
# build, and the order below starts every fixture's first user at once, then the other users,
# then the rest (the longest setups go first).
SHARED_FIXTURES: list[str] = []


def pytest_collection_modifyitems(config, items):
    first_user, users = {}, set()  # fixture -> the path of its first user; all users
    for item in items:
        for name in SHARED_FIXTURES:
            if name in item.fixturenames:
                first_user.setdefault(name, item.path)
                users.add(item.path)
    firsts = set(first_user.values())
    items.sort(key=lambda item: (item.path not in firsts, item.path not in users))  # stable


def built_once(tmp_path_factory, name: str, build) -> Path:
    """The folder ``name`` after ``build(folder)`` ran once in this test session. pytest-xdist
    workers share it: the first to ask builds it while the others wait on a lock."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.mktemp(name)
        build(folder)
        return folder
    root = tmp_path_factory.getbasetemp().parent  # the session's, above each worker's own
    folder, done = root / name, root / f"{name}.built"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also on failure
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a failed build's, tried again
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def shared_fixture(build):
    """A session fixture named after ``build(folder)``, whose value is that folder, built once
    (:func:`built_once`), also for several pytest-xdist workers."""
    SHARED_FIXTURES.append(build.__name__)

    def fixture(tmp_path_factory) -> Path:
        return built_once(tmp_path_factory, build.__name__, build)

    fixture.__doc__ = build.__doc__
    return pytest.fixture(fixture, scope="session", name=build.__name__)


@pytest.fixture(scope="session")
def default_config() -> dict:
    """The shipped config/config.yaml (a fresh copy per use is the caller's job)."""
    return yaml.safe_load(CONFIG.read_text())


@pytest.fixture
def config(default_config) -> dict:
    """A mutable copy of the default config."""
    return copy.deepcopy(default_config)


def snakemake_command(
    workdir: Path,
    *args: str,
    configs: tuple[Path, ...] = (),
    checkout: Path = ROOT,
    estimate: bool = False,
) -> list[str]:
    """The command line that runs ``checkout``'s workflow in ``workdir`` with the shipped
    config plus ``configs``. No flags beyond ``args``: profiles/default applies
    (rerun-incomplete), as for a user. Without ``estimate``, ``NO_ESTIMATE`` comes between
    the two (``configs`` may turn the estimate back on)."""
    return [
        str(BIN / "snakemake"),
        "-s",
        str(checkout / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(checkout / "config" / "config.yaml"),
        *([] if estimate else [str(NO_ESTIMATE)]),
        *map(str, configs),
        *args,
    ]


def snakemake(
    workdir: Path,
    *args: str,
    configs: tuple[Path, ...] = (),
    check: bool = True,
    env: dict | None = None,
    checkout: Path = ROOT,
    estimate: bool = False,
) -> subprocess.CompletedProcess:
    """Run the workflow of ``checkout`` (this repository) with its working directory in
    ``workdir``; with ``check``, a failure raises with Snakemake's whole output. ``estimate``:
    as for :func:`snakemake_command`."""
    command = snakemake_command(
        workdir, *args, configs=configs, checkout=checkout, estimate=estimate
    )
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir, env=env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def slurm_environment(base: dict | None = None) -> dict:
    """``base`` (default: this process's environment) with the SLURM executor plugins first on
    PYTHONPATH, as docs/running.md has a SLURM run set it."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(
        path for path in (str(SLURM_PLUGINS), env.get("PYTHONPATH", "")) if path
    )
    return env


def write_yaml(path: Path, payload: dict) -> Path:
    path.write_text(yaml.safe_dump(payload))
    return path


def copy_checkout(destination: Path) -> Path:
    """A throw-away copy of this checkout's workflow files (no results, caches or .snakemake),
    for tests that move, copy or age the code itself. Returns ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", ".snakemake", "results", "*.egg-info")
    for name in CHECKOUT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore, symlinks=True)
        else:
            shutil.copy2(source, destination / name)
    return destination


#: Image shape (height, width[, channels]) of each dataset, as torchvision lays it out.
SHAPES = {"mnist": (28, 28), "cifar10": (32, 32, 3)}


def synthetic_dataset(
    name: str,
    count: int,
    seed: int = 0,
    *,
    templates: int = 6,
    concentration: float = 1.0,
    brightness: float | None = None,
    test_count: int = 10,
) -> dict[str, np.ndarray]:
    """The one synthetic dataset of the tests: the four uint8 arrays of dataset ``name``.

    Each image mixes a few random templates (Dirichlet weights), so the spectrum decays like a
    real one's; ``brightness`` makes the templates sparse 0/1 masks (a dominant mean mode).
    The first ``test_count`` training images double as the test split.
    """
    rng = np.random.default_rng(seed)
    shape = SHAPES[name]
    if brightness is None:
        patterns = rng.random((templates, *shape))
    else:
        patterns = (rng.random((templates, *shape)) < brightness).astype(float)
    weights = rng.dirichlet(np.ones(templates) * concentration, size=count)
    images = (np.tensordot(weights, patterns, axes=1) * 255).astype(np.uint8)
    return {
        "train_images": images,
        "train_labels": rng.integers(0, 10, count).astype(np.uint8),
        "test_images": images[:test_count],
        "test_labels": rng.integers(0, 10, test_count).astype(np.uint8),
    }


def write_datasets(folder: Path, count: int = 40, subset: int | None = None, **options) -> Path:
    """:func:`synthetic_dataset` of MNIST and CIFAR-10 as ``.npz`` files in ``folder`` and a
    config overlay importing them (``import_npz``: no download) with every subset at most the
    ``count`` images written (the default: all of them; 40 images span Fig. 5's 32 modes, which
    the config checks ask of a subset). Returns the overlay."""
    subset = count if subset is None else subset
    overlay: dict = {
        "data_root": str(folder),
        "datasets": {},
        "linear": {"sampled_noise": {"subset": subset}},
    }
    for seed, name in enumerate(SHAPES):
        np.savez(folder / f"{name}.npz", **synthetic_dataset(name, count, seed, **options))
        overlay["datasets"][name] = {"import_npz": "{data_root}/" + f"{name}.npz", "subset": subset}
    return write_yaml(folder / "datasets.yaml", overlay)


# --- file:// mirrors of MNIST's original files -------------------------------------------

MNIST_FILES = {
    "train-images-idx3-ubyte.gz": ("train", "images"),
    "train-labels-idx1-ubyte.gz": ("train", "labels"),
    "t10k-images-idx3-ubyte.gz": ("test", "images"),
    "t10k-labels-idx1-ubyte.gz": ("test", "labels"),
}


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _idx(array: np.ndarray) -> bytes:
    """An IDX (SN3) file of unsigned bytes: magic 0x0000 08 <ndim>, big-endian sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def mnist_arrays(count: int = 12, seed: int = 0) -> dict[str, np.ndarray]:
    """A tiny MNIST-shaped :func:`synthetic_dataset` (5 test images), for the data layer."""
    return synthetic_dataset("mnist", count, seed, test_count=5)


def write_mnist_mirror(folder: Path, arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """The four original-style .gz files in ``folder``; returns their md5s."""
    folder.mkdir(parents=True, exist_ok=True)
    for filename, (split, kind) in MNIST_FILES.items():
        data = gzip.compress(_idx(arrays[f"{split}_{kind}"]), mtime=0)
        (folder / filename).write_bytes(data)
    return {filename: md5_of(folder / filename) for filename in MNIST_FILES}


def url(folder: Path) -> str:
    return folder.as_uri() + "/"


@pytest.fixture
def mnist_mirror(tmp_path):
    """A file:// mirror of tiny MNIST files: (folder, their md5s, the arrays)."""
    arrays = mnist_arrays()
    md5 = write_mnist_mirror(tmp_path / "mirror", arrays)
    return tmp_path / "mirror", md5, arrays


#: The torchvision class of each paper dataset.
TORCHVISION = {"mnist": "MNIST", "cifar10": "CIFAR10"}


def fetch(tmp_path, mirrors, md5, name="mnist", retries=1, torchvision=None):
    out = tmp_path / "out"
    record = fetch_dataset(
        name,
        mirrors,
        md5,
        retries,
        out / f"{name}.npz",
        out / f"{name}_manifest.json",
        out / "scratch",
        torchvision=torchvision or TORCHVISION[name],
        backoff=0,
    )
    return out, record


def epochs_lasting(seconds: float) -> int:
    """Epochs of a small eigenbasis DAE (D = 784, H = 8) that take about ``seconds`` here and now.

    A test that interrupts a training job needs it to run long enough on a fast machine,
    without making a slow (or busy) one wait minutes; a module measures once and reuses it.
    """
    import time

    from lindae.training import linear, linear_init

    eigenvalues = np.sort(np.random.default_rng(0).random(784))[::-1]
    w1, w2 = linear_init.initial_weights(784, 8, 1e-2, 0, "DAE")
    start = time.perf_counter()
    linear.train_eigenbasis(eigenvalues, np.eye(784), w1, w2, 1e-3, 300, noise=0.5)
    per_epoch = (time.perf_counter() - start) / 300
    return int(np.clip(seconds / per_epoch, 2000, 100_000)) // 1000 * 1000


def parsed_imports(source: str, package: str) -> set[str]:
    """Every module ``source`` imports, from Python's own parse of the whole text (relative
    imports resolved in ``package``): the reference for the workflow's import scanner and for
    the library's layering tests. ``from a import b`` gives ``a`` and ``a.b``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def tree_state(root: Path, skip: tuple[str, ...] = (".snakemake",)) -> dict[str, tuple]:
    """Every file, folder and link under ``root`` (not ``root`` itself, nothing under the
    top-level names in ``skip``): relative path -> (size, mtime_ns, mode)."""
    state = {}
    for folder, folders, files in os.walk(root):
        if Path(folder) == root:
            folders[:] = [name for name in folders if name not in skip]
            files = [name for name in files if name not in skip]
        for name in (*folders, *files):
            path = Path(folder) / name
            info = path.lstat()
            state[str(path.relative_to(root))] = (info.st_size, info.st_mtime_ns, info.st_mode)
    return state


def job_stats(output: str) -> dict[str, int]:
    """Job counts from the 'Job stats' table Snakemake prints first (empty: no job)."""
    if "Job stats:" not in output:
        return {}
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, flags=re.M)}


def planned_jobs(output: str) -> bool:
    """Whether a dry run's output plans any job (False: nothing to be done)."""
    if "Nothing to be done" in output:
        return False
    assert "Job stats:" in output, output
    return True


@shared_fixture
def paper_figures_1_to_4(workdir: Path) -> None:
    """A working directory where targets fig1 ... fig4 ran with the shipped config (the
    paper's settings, which the quick preset keeps too). Read-only for tests: copy it."""
    snakemake(workdir, "--cores", "2", "fig1", "fig2", "fig3", "fig4")


@shared_fixture
def small_figures_checkout(checkout: Path) -> None:
    """A copy of this checkout that has run its default target for Figs 1-4 at small settings
    (``small.yaml``: figures, claims, provenance), working directory = checkout, as with
    `make figures`. Read-only for tests: copy it (``cp -a``) before changing anything."""
    copy_checkout(checkout)
    small = write_yaml(checkout / "small.yaml", SMALL_FIGURES)
    snakemake(checkout, "--cores", "2", configs=(small,), checkout=checkout)
