"""Faults and bad input (issue 7): each case ends in a clear error or a clean recovery.

The catalogue and the test(s) that cover each case (README.md, "Troubleshooting", lists the
messages users see):

1. truncated file from a mirror: ``test_truncated_file_from_a_mirror``
2. wrong md5: ``test_data.py::test_corrupted_file_fails_naming_file_and_mirror``,
   ``test_wrong_md5_in_the_config``
3. every mirror unreachable: ``test_data.py::test_every_mirror_unreachable_lists_them_and_the_
   offline_options``, ``test_unreachable_http_mirror``
4. bad import ``.npz``: ``test_data.py::test_import_rejects_bad_arrays``,
   ``test_data.py::test_import_of_a_file_that_is_not_npz``
5. read-only data location: ``test_data.py::test_import_from_a_read_only_location``,
   ``test_read_only_file_mirror``
6. config errors: ``test_config.py`` (every key type) and ``test_config_catalogue``
7. divergent training: ``unit/test_training_linear.py::test_divergent_run_names_epoch_and_
   bound``, ``unit/test_training_nonlinear.py::test_divergence_and_bad_activation``,
   ``unit/test_training_driver.py::test_non_finite_loss_stops_with_the_message``,
   ``test_workflow_divergence_leaves_no_result``
8. ``device: cuda`` without a GPU: ``unit/test_training_driver.py::test_cuda_request_without_
   gpu_fails_before_compute``, ``test_workflow_cuda_without_gpu_fails_before_training``
9. SIGKILL mid-training: ``test_sigkill_mid_training_then_rerun``, plus the stale-lock unit
   tests ``test_stale_locks_*``
10. SIGINT: ``test_sigint_stops_cleanly_then_rerun``
11. two invocations at once: ``test_concurrent_invocation_is_refused_by_the_lock``
12. disk full / unwritable results: ``test_writer_failure_keeps_the_earlier_artefact``,
    ``test_unwritable_results_folder``, ``test_failure_inside_a_writer_is_not_disguised``
13. determinism: ``unit/test_training_linear.py::test_training_is_deterministic_on_cpu``,
    ``unit/test_training_nonlinear.py::test_identical_seeds_give_bitwise_identical_cpu_
    results``,
    ``test_pin_threads``; in the workflow the reference run uses ``--cores 1``, the SIGKILL
    rerun ``--cores 2`` and the SIGINT rerun ``--cores 1`` again: each is compared bitwise
    with the reference (cases 9, 10)

The workflow cases drive real ``snakemake`` subprocesses on a tiny synthetic MNIST-shaped
dataset imported from a ``.npz``; they are marked ``faults`` (and ``workflow``).
"""

from __future__ import annotations

import copy
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import CONFIG, ROOT, SCHEMA, snakemake, snakemake_command, write_yaml
from test_data import fetch, synthetic_mnist, url, write_mnist_mirror

from lindae import io
from lindae.workflow import locks
from lindae.workflow.config import config_problems, load_schema
from lindae.workflow.download import DownloadError
from lindae.workflow.threads import pin_threads

matplotlib.use("Agg")

# ------------------------------------------------------------------------ data (cases 1-5)


@pytest.fixture
def mnist_mirror(tmp_path):
    arrays = synthetic_mnist()
    md5 = write_mnist_mirror(tmp_path / "mirror", arrays)
    return tmp_path / "mirror", md5, arrays


def _earlier_results(tmp_path: Path) -> Path:
    """An artefact of an earlier stage that a failing download must not touch."""
    kept = tmp_path / "out" / "spectra" / "cifar10.npz"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"earlier result")
    return kept


def _no_partial_output(out: Path) -> None:
    assert not (out / "mnist.npz").exists() and not (out / "mnist_manifest.json").exists()
    assert not (out / "scratch").exists()
    assert not list(out.rglob(".*.tmp*")), "a temporary file was left"


def test_truncated_file_from_a_mirror(tmp_path, mnist_mirror):
    folder, md5, _ = mnist_mirror
    truncated = folder / "train-images-idx3-ubyte.gz"
    truncated.write_bytes(truncated.read_bytes()[:100])
    kept = _earlier_results(tmp_path)
    with pytest.raises(DownloadError) as caught:
        fetch(tmp_path, [url(folder)], md5, retries=0)
    message = str(caught.value)
    assert "could not download train-images-idx3-ubyte.gz (dataset mnist" in message
    assert f"{url(folder)} (1 attempt(s)): md5 mismatch: got " in message
    assert f"expected {md5['train-images-idx3-ubyte.gz']} (truncated, corrupted or a " in message
    assert "different file; 100 bytes received)" in message
    _no_partial_output(tmp_path / "out")
    assert kept.read_bytes() == b"earlier result"


def test_wrong_md5_in_the_config(tmp_path, mnist_mirror):
    folder, md5, _ = mnist_mirror
    wrong = dict(md5, **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    with pytest.raises(
        DownloadError, match=f"md5 mismatch: got {md5['t10k-labels-idx1-ubyte.gz']}"
    ):
        fetch(tmp_path, [url(folder)], wrong, retries=0)
    _no_partial_output(tmp_path / "out")


def test_unreachable_http_mirror(tmp_path, mnist_mirror):
    _, md5, _ = mnist_mirror
    mirror = "http://127.0.0.1:9/mnist/"  # the discard port: connection refused at once
    with pytest.raises(DownloadError) as caught:
        fetch(tmp_path, [mirror], md5, retries=1)
    message = str(caught.value)
    assert f"mirrors tried:\n  - {mirror} (2 attempt(s)): " in message
    assert "refused" in message.lower()
    assert "Without internet access" in message and "config/offline.yaml" in message
    _no_partial_output(tmp_path / "out")


def test_read_only_file_mirror(tmp_path, mnist_mirror):
    folder, md5, arrays = mnist_mirror
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    folder.chmod(0o555)
    try:
        out, _ = fetch(tmp_path, [url(folder)], md5)
    finally:
        folder.chmod(0o755)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    with np.load(out / "mnist.npz") as npz:
        np.testing.assert_array_equal(npz["train_images"], arrays["train_images"])


# --------------------------------------------------------------------------- config (case 6)


@pytest.fixture(scope="module")
def default():
    return yaml.safe_load(CONFIG.read_text())


CONFIG_CASES = {
    # case: (change, the exact line the user sees)
    "unknown-key-typo": (
        lambda c: c["linear"].update(epoch=10),
        "linear.epoch: unknown key (did you mean 'epochs'?); allowed keys here: algorithm, "
        "decay, dtype, epochs, hidden, init, init_scale, lr, noise, record_every, "
        "sampled_noise, seed",
    ),
    "wrong-type": (
        lambda c: c["linear"].update(epochs="many"),
        "linear.epochs = 'many': must be of type integer",
    ),
    "alpha-zero": (
        lambda c: c["linear"]["lr"].update(mnist=0),
        "linear.lr.mnist = 0: must be > 0 (learning rate (> 0))",
    ),
    "hidden-above-D": (
        lambda c: c["linear"]["hidden"].update(mnist=785),
        "linear.hidden.mnist = 785: must be <= D = 784",
    ),
    "nonlinear-hidden-above-D": (
        lambda c: c["nonlinear"]["hidden"].update(cifar10=4000),
        "nonlinear.hidden.cifar10 = 4000: must be <= D = 3072",
    ),
    "subset-above-dataset": (
        lambda c: c["datasets"]["cifar10"].update(subset=50001),
        "datasets.cifar10.subset = 50001: must be <= 50000 (the cifar10 training-set size)",
    ),
    "negative-noise-variance": (
        lambda c: c["linear"].update(noise=-0.1),
        "linear.noise = -0.1: must be >= 0 (DAE noise variance sigma^2 (>= 0))",
    ),
    "empty-noise-sweep": (
        lambda c: c["fig2"].update(noise_levels=[]),
        "fig2.noise_levels = []: must have at least 1 item(s) (noise variances epsilon "
        "(sigma^2), each >= 0)",
    ),
    "empty-eigenvalue-sweep": (
        lambda c: c["fig2"].update(lams=[]),
        "fig2.lams = []: must have at least 1 item(s) (eigenvalues lambda, each > 0)",
    ),
    "empty-variants": (
        lambda c: c.update(variants=[]),
        "variants = []: must have at least 1 item(s) (figure renderings to build)",
    ),
    "empty-modes": (
        lambda c: c["fig5"].update(modes=[]),
        "fig5.modes = []: must have at least 1 item(s) (1-based eigen-mode ranks to draw "
        "(each at most H))",
    ),
    "empty-sampled-datasets": (
        lambda c: c["linear"]["sampled_noise"].update(datasets=[]),
        "linear.sampled_noise.datasets = []: must name at least one of mnist, cifar10 while "
        "linear.sampled_noise.enabled is true (or set enabled: false)",
    ),
    "no-data-source": (
        lambda c: c["datasets"]["mnist"].update(mirrors=[]),
        "datasets.mnist.mirrors = []: must list at least one mirror (http(s):// or file://) "
        "while datasets.mnist.import_npz is null; or set import_npz to a pre-extracted .npz",
    ),
}


@pytest.mark.parametrize("case", CONFIG_CASES)
def test_config_catalogue(default, case):
    change, expected = CONFIG_CASES[case]
    config = copy.deepcopy(default)
    change(config)
    assert expected in config_problems(config, load_schema(SCHEMA))


def test_empty_sources_are_fine_when_not_needed(default):
    config = copy.deepcopy(default)
    config["datasets"]["mnist"].update(mirrors=[], import_npz="/data/mnist.npz")
    config["linear"]["sampled_noise"].update(enabled=False, datasets=[])
    assert config_problems(config, load_schema(SCHEMA)) == []


# ---------------------------------------------------------------- atomic writes (case 12)


def _full_disk(path, *args, **kwargs):
    """Stand-in for a writer on a full disk: half a file, then ENOSPC."""
    Path(path).write_bytes(b"PK\x03\x04 half an archive")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


WRITERS = {
    "table": ("t.csv", lambda d: io.write_table(pd.DataFrame({"a": [1.0]}), d)),
    "json": ("n.json", lambda d: io.write_json({"a": 1}, d)),
    "record": ("r.npz", lambda d: io.save_record(d, {"a": np.ones(3)}, {"k": 1})),
    "figure": ("f.png", lambda d: io.save_figure(_figure(), d)),
}


def _figure():
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().plot([0, 1])
    return figure


@pytest.mark.parametrize("kind", WRITERS)
def test_writer_failure_keeps_the_earlier_artefact(tmp_path, monkeypatch, kind):
    name, write = WRITERS[kind]
    destination = tmp_path / "results" / name
    write(destination)
    earlier = destination.read_bytes()
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda self, p, **k: _full_disk(p))
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: _full_disk(self))
    monkeypatch.setattr(np, "savez", _full_disk)
    monkeypatch.setattr(
        "matplotlib.figure.Figure.savefig", lambda self, p, **k: _full_disk(p), raising=True
    )
    with pytest.raises(io.ArtefactWriteError) as caught:
        write(destination)
    monkeypatch.undo()
    assert caught.value.errno == errno.ENOSPC
    assert str(caught.value) == (
        f"[Errno 28] could not write {destination} (No space left on device); the disk is "
        "full: free some space, or set results_dir to another disk. Nothing was written there: "
        "an earlier version, if any, is unchanged and no partial file was left"
    )
    assert destination.read_bytes() == earlier
    assert sorted(p.name for p in destination.parent.iterdir()) == [name]


def test_unwritable_results_folder(tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("a file where the results folder should be")
    destination = blocker / "figures" / "fig1.csv"
    with pytest.raises(io.ArtefactWriteError, match="a part of the path is a file, not a folder"):
        io.write_table(pd.DataFrame({"a": [1]}), destination)
    assert blocker.read_text().startswith("a file")


def test_failure_inside_a_writer_is_not_disguised(tmp_path):
    destination = tmp_path / "x.json"
    with pytest.raises(TypeError), io.atomic_path(destination) as temporary:
        temporary.write_text("partial")
        raise TypeError("a bug, not a disk problem")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------ compute threads (case 13)


def test_pin_threads(monkeypatch):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(variable, "7")  # what Snakemake sets from the job's threads
    assert pin_threads({"compute_threads": 2}, job_threads=1) == 2
    assert os.environ["OPENBLAS_NUM_THREADS"] == os.environ["OMP_NUM_THREADS"] == "2"
    assert pin_threads({"compute_threads": 0}, job_threads=3) == 3
    assert os.environ["MKL_NUM_THREADS"] == "3"


def test_numerical_scripts_pin_their_threads_first():
    for name in ("spectrum", "train_linear", "train_sampled_noise", "train_nonlinear"):
        code = (ROOT / "workflow" / "scripts" / f"{name}.py").read_text()
        pin = code.index("pin_threads(snakemake.config")
        first_numerical_import = min(
            code.index(module)
            for module in (
                "\nimport torch",
                "\nimport numpy",
                "\nfrom lindae import",
                "\nfrom lindae.d",
            )
            if module in code
        )
        assert pin < first_numerical_import, name
        assert "set_num_threads(snakemake.threads)" not in code, name


# --------------------------------------------------------------------- stale locks (case 9)


def _lock(state: Path) -> None:
    (state / "locks").mkdir(parents=True)
    (state / "locks" / "0.output.lock").write_text("results/x.npz\n")


def _owner(state: Path, pid: int, host: str | None = None, started: float | None = None):
    import socket

    folder = state / locks.OWNERS
    folder.mkdir(parents=True, exist_ok=True)
    host = host or socket.gethostname()
    entry = {"host": host, "pid": pid, "started": started}
    (folder / f"{host}.{pid}.json").write_text(json.dumps(entry))


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_locks_of_a_dead_run_are_removed(tmp_path):
    _lock(tmp_path)
    pid = _dead_pid()
    _owner(tmp_path, pid)
    assert locks.clear_stale_locks(tmp_path) == [pid]
    assert not (tmp_path / "locks").exists()
    assert list((tmp_path / locks.OWNERS).iterdir()) == []


def test_stale_locks_without_any_registered_run_are_removed(tmp_path):
    _lock(tmp_path)
    assert locks.clear_stale_locks(tmp_path) == [0]
    assert not (tmp_path / "locks").exists()


def test_locks_of_a_live_run_are_kept(tmp_path):
    _lock(tmp_path)
    locks.register_run(tmp_path)  # this very process: alive
    assert locks.clear_stale_locks(tmp_path) == []
    assert (tmp_path / "locks" / "0.output.lock").exists()


def test_locks_of_a_run_on_another_host_are_kept(tmp_path):
    _lock(tmp_path)
    _owner(tmp_path, 1, host="some-other-login-node")
    assert locks.clear_stale_locks(tmp_path) == []
    assert (tmp_path / "locks").exists()


def test_a_reused_pid_does_not_keep_stale_locks(tmp_path):
    _lock(tmp_path)
    _owner(tmp_path, os.getpid(), started=1.0)  # our pid, but a process started in 1970
    assert locks.clear_stale_locks(tmp_path) == [os.getpid()]


def test_no_locks_nothing_to_do(tmp_path):
    _owner(tmp_path, _dead_pid())
    assert locks.clear_stale_locks(tmp_path) == []


# ------------------------------------------------------------- the workflow (cases 7-11, 13)

SAMPLES = 200
TARGETS = ("results/linear/mnist_DAE.npz", "results/linear/mnist_DAE-sampled.npz")
COMPARED = ("steps", "singular_values", "projections", "loss")
POLL, PATIENCE = 0.1, 180.0
TRAINING_SECONDS = 3.0  # the DAE job to interrupt lasts about this long on this machine


def _write_dataset(root: Path) -> None:
    rng = np.random.default_rng(5)
    templates = rng.random((6, 28, 28))
    weights = rng.dirichlet(np.ones(6), size=SAMPLES)
    images = (np.tensordot(weights, templates, axes=1) * 255).astype(np.uint8)
    np.savez(
        root / "mnist.npz",
        train_images=images,
        train_labels=rng.integers(0, 10, SAMPLES).astype(np.uint8),
        test_images=images[:10],
        test_labels=np.zeros(10, np.uint8),
    )


def _epochs_lasting(seconds: float) -> int:
    """Epochs of the small eigenbasis DAE that take about ``seconds`` here and now.

    Interrupting a job needs it to run long enough on a fast machine, without making a slow
    (or busy) one wait minutes; every run of a test module uses the same count.
    """
    from lindae.training import linear

    rng = np.random.default_rng(0)
    eigenvalues = np.sort(rng.random(784))[::-1]
    w1, w2 = linear.initial_weights(784, 8, 1e-2, 0, "DAE")
    start = time.perf_counter()
    linear.train_eigenbasis(eigenvalues, np.eye(784), w1, w2, 1e-3, 300, noise=0.5)
    per_epoch = (time.perf_counter() - start) / 300
    return int(np.clip(seconds / per_epoch, 2000, 100_000)) // 1000 * 1000


def _override(root: Path, epochs: int) -> dict:
    return {
        "data_root": str(root),
        "device": "cpu",
        "datasets": {"mnist": {"import_npz": "{data_root}/mnist.npz", "subset": SAMPLES}},
        "linear": {
            "hidden": {"mnist": 8, "cifar10": 8},
            "lr": {"mnist": 0.002, "cifar10": 0.0004},
            "epochs": epochs,
            "record_every": 1000,
            "init": "decoupled",
            "sampled_noise": {"subset": SAMPLES, "epochs": 300, "batch_size": 50},
        },
        "fig5": {"modes": [1, 2]},
    }


def _run(
    workdir: Path, *args: str, check: bool = True, env=None, configs: tuple[Path, ...] = ()
) -> subprocess.CompletedProcess:
    """The shared runner (conftest), with the small settings of this module."""
    small = (workdir / "small.yaml", *configs)
    return snakemake(workdir, *args, configs=small, check=check, env=env)


def _start(workdir: Path, *args: str) -> subprocess.Popen:
    """snakemake in its own process group (like a terminal's foreground job)."""
    log = open(workdir / "snakemake.out", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        snakemake_command(workdir, *args, configs=(workdir / "small.yaml",)),
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # A shell without job control starts background commands with SIGINT ignored, and
        # children inherit that: give snakemake the terminal's default, whoever runs the test.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for(condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"snakemake ended (rc {process.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL)


def _training_started(workdir: Path) -> bool:
    log = workdir / "results" / "logs" / "train_linear" / "mnist_DAE.log"
    return log.is_file() and "epoch 1 loss" in log.read_text()


def _arrays(workdir: Path, targets: tuple[str, ...] = TARGETS) -> dict[str, np.ndarray]:
    found = {}
    for target in targets:
        record = io.load_record(workdir / target)
        for key in COMPARED:
            found[f"{target}:{key}"] = record[key]
    with np.load(workdir / "results" / "spectra" / "mnist.npz") as spectrum:
        found.update({f"spectrum:{key}": spectrum[key] for key in spectrum.files})
    return found


def _subset(arrays: dict[str, np.ndarray], target: str) -> dict[str, np.ndarray]:
    return {key: value for key, value in arrays.items() if not key.startswith("results/")} | {
        key: value for key, value in arrays.items() if key.startswith(target + ":")
    }


def _assert_bitwise_equal(first: dict, second: dict) -> None:
    assert first.keys() == second.keys()
    for key in first:
        assert first[key].dtype == second[key].dtype, key
        assert first[key].tobytes() == second[key].tobytes(), f"{key} differs"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A workdir with the data imported and the spectrum computed (copied per test)."""
    root = tmp_path_factory.mktemp("faults")
    _write_dataset(root)
    write_yaml(root / "small.yaml", _override(root, _epochs_lasting(TRAINING_SECONDS)))
    _run(root, "--cores", "2", "results/spectra/mnist.npz")
    return root


def _copy(prepared: Path, tmp_path: Path) -> Path:
    """The prepared workdir: same config (data still read from the prepared folder) and
    modification times kept, so nothing upstream of training reruns."""
    workdir = tmp_path / "run"
    shutil.copytree(prepared, workdir, ignore=shutil.ignore_patterns("locks", "lindae-owners"))
    return workdir


@pytest.fixture(scope="module")
def reference(prepared, tmp_path_factory):
    """The uninterrupted run, one core: the arrays every other run must reproduce bitwise."""
    workdir = _copy(prepared, tmp_path_factory.mktemp("reference"))
    _run(workdir, "--cores", "1", *TARGETS)
    return _arrays(workdir)


@pytest.mark.workflow
@pytest.mark.faults
def test_sigkill_mid_training_then_rerun(prepared, reference, tmp_path):
    """Also case 13: the rerun uses two cores, the reference one; every array is equal."""
    workdir = _copy(prepared, tmp_path)
    spectrum = workdir / "results" / "spectra" / "mnist.npz"
    earlier = spectrum.stat().st_mtime_ns
    process = _start(workdir, "--cores", "2", TARGETS[0])
    _wait_for(lambda: _training_started(workdir), "the DAE training to start", process)
    os.killpg(process.pid, signal.SIGKILL)  # snakemake and its jobs, like a lost session
    process.wait()
    assert not (workdir / TARGETS[0]).exists(), "training finished before the kill"
    assert any((workdir / ".snakemake" / "locks").iterdir()), "no stale lock to recover from"
    # the next plain run: no --unlock, no clean-up; the default profile reruns incomplete jobs
    result = _run(workdir, "--cores", "2", *TARGETS)
    assert "removed the Snakemake locks left by a killed run" in result.stderr
    assert spectrum.stat().st_mtime_ns == earlier  # earlier results kept, not recomputed
    _assert_bitwise_equal(reference, _arrays(workdir))
    assert not list((workdir / "results").rglob(".*.tmp*"))


@pytest.mark.workflow
@pytest.mark.faults
def test_sigint_stops_cleanly_then_rerun(prepared, reference, tmp_path):
    workdir = _copy(prepared, tmp_path)
    process = _start(workdir, "--cores", "1", TARGETS[0])
    _wait_for(lambda: _training_started(workdir), "the DAE training to start", process)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole foreground group
    assert process.wait(timeout=PATIENCE) != 0
    output = (workdir / "snakemake.out").read_text()
    assert "Terminating processes on user request" in output, output
    assert not (workdir / TARGETS[0]).exists()  # no corrupted or partial output
    assert not list((workdir / "results").rglob(".*.tmp*"))
    assert not (workdir / ".snakemake" / "locks").exists()  # a clean stop unlocks
    _run(workdir, "--cores", "1", TARGETS[0])  # also case 13: a second run, same arrays
    _assert_bitwise_equal(_subset(reference, TARGETS[0]), _arrays(workdir, TARGETS[:1]))


@pytest.mark.workflow
@pytest.mark.faults
def test_concurrent_invocation_is_refused_by_the_lock(prepared, reference, tmp_path):
    workdir = _copy(prepared, tmp_path)
    first = _start(workdir, "--cores", "1", TARGETS[0])
    _wait_for(lambda: _training_started(workdir), "the DAE training to start", first)
    # hold the first run mid-training (however fast this machine is) while the second starts
    os.killpg(first.pid, signal.SIGSTOP)
    try:
        assert not (workdir / TARGETS[0]).exists(), "training finished before the pause"
        # a different target whose job graph shares the running job's output
        second = _run(
            workdir, "--cores", "1", "results/linear/mnist_AE.npz", TARGETS[0], check=False
        )
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    assert first.wait(timeout=PATIENCE) == 0, (workdir / "snakemake.out").read_text()
    assert second.returncode != 0
    output = second.stdout + second.stderr
    assert "Error: Directory cannot be locked. Please make sure that no other Snakemake" in output
    assert "removed the Snakemake locks" not in output  # a live run's lock is never removed
    assert not (workdir / "results" / "linear" / "mnist_AE.npz").exists()
    _assert_bitwise_equal(_subset(reference, TARGETS[0]), _arrays(workdir, TARGETS[:1]))


@pytest.mark.workflow
@pytest.mark.faults
def test_workflow_divergence_leaves_no_result(prepared, tmp_path):
    workdir = _copy(prepared, tmp_path)
    too_fast = write_yaml(tmp_path / "lr.yaml", {"linear": {"lr": {"mnist": 0.05}}})
    result = _run(workdir, "--cores", "1", TARGETS[0], check=False, configs=(too_fast,))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "training diverged: non-finite weights or loss detected at epoch " in output, output
    assert "full-batch GD is stable only for lr < 1/lambda_bar_1 = " in output
    assert not (workdir / TARGETS[0]).exists()
    assert (workdir / "results" / "spectra" / "mnist.npz").exists()  # earlier results kept


@pytest.mark.workflow
@pytest.mark.faults
def test_workflow_cuda_without_gpu_fails_before_training(prepared, tmp_path):
    workdir = _copy(prepared, tmp_path)
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")  # no GPU, even on a GPU machine
    cuda = write_yaml(tmp_path / "cuda.yaml", {"device": "cuda"})
    result = _run(workdir, "--cores", "1", TARGETS[0], check=False, env=env, configs=(cuda,))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "device: cuda was requested but no CUDA GPU is visible to PyTorch" in output, output
    assert "valid: device: auto|cpu|cuda" in output
    log = (workdir / "results" / "logs" / "train_linear" / "mnist_DAE.log").read_text()
    assert "epoch 0 loss" not in log  # stopped before any training step
    assert not (workdir / TARGETS[0]).exists()
