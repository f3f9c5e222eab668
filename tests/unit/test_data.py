"""Datasets: download through torchvision from file:// mirrors, npz import, the data matrix.

Synthetic MNIST IDX files and a synthetic CIFAR-10 archive stand in for the real ones, so these
tests are fast and need no network. The real-data tests read the folder named by the
environment variable LINDAE_DATA (laid out like ../shared/data) and are skipped without it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import (
    CONFIG,
    TORCHVISION,
    fetch,
    md5_of,
    mnist_arrays,
    snakemake,
    url,
    write_yaml,
)

from lindae.data import (
    ARRAY_KEYS,
    DatasetFileError,
    import_dataset,
    load_training_matrix,
)
from lindae.workflow.download import (
    DownloadError,
    describe_source,
    resolve_location,
    resolve_settings,
    source_inputs,
)

PUBLISHED_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
REAL_DATA = os.environ.get("LINDAE_DATA")
needs_real_data = pytest.mark.skipif(
    not REAL_DATA, reason="real datasets not available: set LINDAE_DATA=/path/to/shared/data"
)


def assert_nothing_left(out: Path, name: str = "mnist") -> None:
    assert not (out / f"{name}.npz").exists()
    assert not (out / f"{name}_manifest.json").exists()
    assert not (out / "scratch").exists()
    assert not list(out.glob(".*.tmp*")), "atomic writer left a temporary file"


# ---------------------------------------------------------------------------------- download


def test_download_writes_canonical_arrays_and_manifest(tmp_path, mnist_mirror):
    folder, md5, arrays = mnist_mirror
    out, record = fetch(tmp_path, [url(folder)], md5)
    with np.load(out / "mnist.npz") as npz:
        assert sorted(npz.files) == sorted(ARRAY_KEYS)
        for key in ARRAY_KEYS:
            assert npz[key].dtype == np.uint8, key
            np.testing.assert_array_equal(npz[key], arrays[key], err_msg=key)
    manifest = json.loads((out / "mnist_manifest.json").read_text())
    assert manifest == record
    assert manifest["dataset"] == "mnist"
    assert manifest["method"] == "download"
    assert manifest["counts"] == {"train": 12, "test": 5}
    assert manifest["complete"] == {"train": False, "test": False}
    assert manifest["torchvision"]
    for filename, checksum in md5.items():
        assert manifest["files"][filename] == {"url": url(folder) + filename, "md5": checksum}
    assert not (out / "scratch").exists()


def test_missing_first_mirror_falls_back_to_the_second(tmp_path, mnist_mirror):
    folder, md5, arrays = mnist_mirror
    missing = url(tmp_path / "no-such-mirror")
    out, record = fetch(tmp_path, [missing, url(folder).rstrip("/")], md5)
    assert {entry["url"] for entry in record["files"].values()} == {
        url(folder) + filename for filename in md5
    }
    with np.load(out / "mnist.npz") as npz:
        np.testing.assert_array_equal(npz["train_images"], arrays["train_images"])


def test_corrupted_file_fails_naming_file_and_mirror(tmp_path, mnist_mirror):
    folder, md5, _ = mnist_mirror
    corrupted = folder / "train-labels-idx1-ubyte.gz"
    corrupted.write_bytes(corrupted.read_bytes() + b"\0")
    with pytest.raises(DownloadError) as caught:
        fetch(tmp_path, [url(folder)], md5)
    message = str(caught.value)
    assert "train-labels-idx1-ubyte.gz" in message
    assert url(folder) in message
    assert "md5 mismatch" in message
    assert md5["train-labels-idx1-ubyte.gz"] in message
    assert_nothing_left(tmp_path / "out")


def test_every_mirror_unreachable_lists_them_and_the_offline_options(tmp_path, mnist_mirror):
    _, md5, _ = mnist_mirror
    mirrors = [url(tmp_path / "gone-1"), url(tmp_path / "gone-2")]
    with pytest.raises(DownloadError) as caught:
        fetch(tmp_path, mirrors, md5, retries=2)
    message = str(caught.value)
    assert "train-images-idx3-ubyte.gz" in message
    for mirror in mirrors:
        assert mirror in message
    assert "3 attempt(s)" in message
    assert "datasets.mnist.mirrors" in message and "file://" in message
    assert "datasets.mnist.import_npz" in message
    assert_nothing_left(tmp_path / "out")


def test_failure_also_removes_an_earlier_pair(tmp_path, mnist_mirror):
    _, md5, _ = mnist_mirror
    out = tmp_path / "out"
    out.mkdir()
    (out / "mnist.npz").write_bytes(b"stale")
    (out / "mnist_manifest.json").write_text("{}")
    with pytest.raises(DownloadError):
        fetch(tmp_path, [url(tmp_path / "gone")], md5, retries=0)
    assert_nothing_left(out)


def test_md5_table_must_name_torchvision_files(tmp_path, mnist_mirror):
    folder, md5, _ = mnist_mirror
    wrong = dict(md5)
    wrong["train-images.gz"] = wrong.pop("train-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="datasets.mnist.md5 must list exactly"):
        fetch(tmp_path, [url(folder)], wrong)
    assert_nothing_left(tmp_path / "out")


def test_non_empty_scratch_folder_is_refused(tmp_path, mnist_mirror):
    folder, md5, _ = mnist_mirror
    (tmp_path / "out" / "scratch").mkdir(parents=True)
    (tmp_path / "out" / "scratch" / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not empty"):
        fetch(tmp_path, [url(folder)], md5)
    assert (tmp_path / "out" / "scratch" / "precious.txt").read_text() == "keep me"


def _cifar_archive(path: Path, images: dict[str, np.ndarray], labels: dict[str, list]) -> dict:
    """A cifar-10-python.tar.gz look-alike; returns the md5 of each member (for torchvision)."""
    members = {
        name: pickle.dumps({"data": images[name].reshape(len(images[name]), -1), "labels": y})
        for name, y in labels.items()
    }
    members["batches.meta"] = pickle.dumps({"label_names": [f"class{i}" for i in range(10)]})
    with tarfile.open(path, "w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return {name: hashlib.md5(payload).hexdigest() for name, payload in members.items()}


def test_cifar10_download_gives_hwc_arrays(tmp_path, monkeypatch):
    from torchvision.datasets import CIFAR10

    rng = np.random.default_rng(1)
    batches = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    chw = {name: rng.integers(0, 256, (2, 3, 32, 32), dtype=np.uint8) for name in batches}
    labels = {name: rng.integers(0, 10, 2).tolist() for name in batches}
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    inner = _cifar_archive(mirror / "cifar-10-python.tar.gz", chw, labels)
    # torchvision checks the extracted batches against its own md5 table: use the synthetic ones
    monkeypatch.setattr(CIFAR10, "train_list", [[n, inner[n]] for n in batches[:5]])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", inner["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", dict(CIFAR10.meta, md5=inner["batches.meta"]))
    md5 = {"cifar-10-python.tar.gz": md5_of(mirror / "cifar-10-python.tar.gz")}
    out, record = fetch(tmp_path, [url(mirror)], md5, name="cifar10")
    with np.load(out / "cifar10.npz") as npz:
        train = np.concatenate([chw[name] for name in batches[:5]]).transpose(0, 2, 3, 1)
        np.testing.assert_array_equal(npz["train_images"], train)
        np.testing.assert_array_equal(npz["test_images"], chw["test_batch"].transpose(0, 2, 3, 1))
        assert npz["train_labels"].tolist() == sum((labels[n] for n in batches[:5]), [])
        assert npz["train_images"].dtype == np.uint8
    assert record["counts"] == {"train": 10, "test": 2}
    assert (
        record["files"]["cifar-10-python.tar.gz"]["url"] == url(mirror) + "cifar-10-python.tar.gz"
    )
    with pytest.raises(DownloadError, match="md5 mismatch") as caught:
        fetch(tmp_path, [url(mirror)], {"cifar-10-python.tar.gz": "0" * 32}, name="cifar10")
    assert "cifar-10-python.tar.gz" in str(caught.value) and url(mirror) in str(caught.value)
    assert "datasets.cifar10.import_npz" in str(caught.value)
    assert_nothing_left(tmp_path / "out", "cifar10")


# ------------------------------------------------------------------------------------ import


def write_npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


def test_import_round_trip_and_manifest(tmp_path):
    arrays = mnist_arrays()
    source = write_npz(tmp_path / "source.npz", **arrays)
    record = import_dataset("mnist", source, tmp_path / "mnist.npz", tmp_path / "manifest.json")
    with np.load(tmp_path / "mnist.npz") as npz:
        for key in ARRAY_KEYS:
            np.testing.assert_array_equal(npz[key], arrays[key])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest == record
    assert manifest["method"] == "import"
    assert manifest["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert manifest["source"] == str(source.resolve())
    assert manifest["counts"] == {"train": 12, "test": 5}


def _broken(arrays: dict, key: str, value) -> dict:
    broken = dict(arrays)
    if value is None:
        del broken[key]
    else:
        broken[key] = value
    return broken


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("mnist", ("test_labels", None), ["test_labels", "missing"]),
        ("mnist", ("train_images", "float"), ["train_images", "float64", "expected uint8"]),
        ("mnist", ("train_images", "flat"), ["train_images", "(12, 784)", "(N, 28, 28)"]),
        ("mnist", ("train_labels", "short"), ["train_labels", "(11,)", "expected (12,)"]),
        ("mnist", ("test_labels", "class"), ["test_labels", "holds 10", "0-9"]),
        ("cifar10", ("train_images", "chw"), ["train_images", "(12, 3, 32, 32)", "HWC"]),
    ],
    ids=["missing-key", "wrong-dtype", "wrong-shape", "label-count", "label-range", "chw"],
)
def test_import_rejects_bad_arrays(tmp_path, name, change, expected):
    key, how = change
    if name == "mnist":
        arrays = mnist_arrays()
    else:
        arrays = {
            "train_images": np.zeros((12, 32, 32, 3), np.uint8),
            "train_labels": np.zeros(12, np.uint8),
            "test_images": np.zeros((3, 32, 32, 3), np.uint8),
            "test_labels": np.zeros(3, np.uint8),
        }
    changes = {
        None: lambda a: None,
        "float": lambda a: a.astype(np.float64),
        "flat": lambda a: a.reshape(len(a), -1),
        "short": lambda a: a[:-1],
        "class": lambda a: np.full_like(a, 10),
        "chw": lambda a: a.transpose(0, 3, 1, 2),
    }
    value = changes[how](arrays[key])
    source = write_npz(tmp_path / "bad.npz", **_broken(arrays, key, value))
    with pytest.raises(DatasetFileError) as caught:
        import_dataset(name, source, tmp_path / "out.npz", tmp_path / "out.json", TORCHVISION[name])
    message = str(caught.value)
    assert str(source) in message
    for part in expected:
        assert part in message
    assert not (tmp_path / "out.npz").exists() and not (tmp_path / "out.json").exists()


def _cifar10_zeros(count: int = 12) -> dict[str, np.ndarray]:
    """An all-zero CIFAR-10 export of the right shape and dtype (finding 2)."""
    return {
        "train_images": np.zeros((count, 32, 32, 3), np.uint8),
        "train_labels": np.zeros(count, np.uint8),
        "test_images": np.zeros((3, 32, 32, 3), np.uint8),
        "test_labels": np.zeros(3, np.uint8),
    }


@pytest.mark.parametrize(
    ("name", "images", "expected"),
    [
        ("cifar10", None, "every pixel is 0, so the data carry no directions to learn"),
        ("mnist", lambda a: np.full_like(a, 7), "every pixel is 7"),
        ("mnist", lambda a: (a > 127).astype(np.uint8), "only take the values 0 and 1"),
        ("mnist", lambda a: np.repeat(a[:1], len(a), axis=0), "all images are the same image"),
    ],
    ids=["all-zero-cifar10", "constant", "scaled-to-0-1", "one-image-repeated"],
)
def test_import_rejects_degenerate_pixels(tmp_path, name, images, expected):
    """Finding 2: arrays of the right shape and dtype whose pixels the analysis cannot use
    (an all-zero CIFAR-10 ran to exit 0 with zero eigenvalues, NaN rows and passing claims)."""
    if images is None:
        arrays = _cifar10_zeros()
    else:
        arrays = mnist_arrays()
        arrays["train_images"] = images(arrays["train_images"])
    source = write_npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DatasetFileError) as caught:
        import_dataset(name, source, tmp_path / "out.npz", tmp_path / "out.json")
    message = str(caught.value)
    assert message.startswith(f"{source}: train_images ({name}, ")
    assert expected in message and "export the real images" in message
    assert "\n" not in message
    assert not (tmp_path / "out.npz").exists() and not (tmp_path / "out.json").exists()


def test_a_degenerate_training_subset_is_refused(tmp_path):
    """The subset analysed (the first N images) is checked too, naming the file and the key."""
    arrays = mnist_arrays()
    arrays["train_images"][:4] = 0
    path = write_npz(tmp_path / "mnist.npz", **arrays)
    with pytest.raises(DatasetFileError, match=r"the first 4 train_images \(mnist, 4 images\)"):
        load_training_matrix(path, 4)
    assert load_training_matrix(path, 5).shape == (5, 784)


def test_an_unreadable_dataset_file_names_itself_and_the_rebuild(tmp_path):
    from lindae.io import IntermediateFileError

    path = tmp_path / "mnist.npz"
    path.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(IntermediateFileError) as caught:
        load_training_matrix(path, 4)
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot use this dataset file (not a readable")
    assert "delete it and run the workflow again" in message
    assert message.endswith("--forcerun download_mnist")
    with pytest.raises(IntermediateFileError, match="no such file"):
        load_training_matrix(tmp_path / "absent.npz", 4)


def test_import_of_a_file_that_is_not_npz(tmp_path):
    source = tmp_path / "junk.npz"
    source.write_text("not a zip archive")
    with pytest.raises(DatasetFileError, match="not a readable .npz"):
        import_dataset("mnist", source, tmp_path / "out.npz", tmp_path / "out.json")
    with pytest.raises(DatasetFileError, match="no such file"):
        import_dataset("mnist", tmp_path / "absent.npz", tmp_path / "o.npz", tmp_path / "o.json")


def test_import_from_a_read_only_location(tmp_path):
    location = tmp_path / "readonly"
    location.mkdir()
    source = write_npz(location / "mnist.npz", **mnist_arrays())
    source.chmod(0o444)
    location.chmod(0o555)
    try:
        import_dataset("mnist", source, tmp_path / "out" / "a.npz", tmp_path / "out" / "m.json")
        assert sorted(p.name for p in location.iterdir()) == ["mnist.npz"]
    finally:
        location.chmod(0o755)
    assert (tmp_path / "out" / "a.npz").is_file()


# ------------------------------------------------------------------------------- data matrix


def test_load_training_matrix_scales_and_flattens_row_major(tmp_path):
    arrays = mnist_arrays()
    path = write_npz(tmp_path / "mnist.npz", **arrays)
    matrix = load_training_matrix(path, 10)
    assert matrix.shape == (10, 784)
    assert matrix.dtype == np.float64
    np.testing.assert_array_equal(matrix, arrays["train_images"][:10].reshape(10, 784) / 255.0)
    image = arrays["train_images"][3]
    assert matrix[3, 28 * 5 + 7] == image[5, 7] / 255  # row 5, column 7
    single = load_training_matrix(path, 10, dtype=np.float32)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, matrix, rtol=1e-7)


def test_load_training_matrix_cifar_keeps_hwc_order(tmp_path):
    images = np.zeros((4, 32, 32, 3), np.uint8)
    images[0, 0, 0] = (10, 20, 30)  # pixel (0, 0): red, green, blue
    images[0, 0, 1] = (40, 50, 60)  # pixel (0, 1)
    images[0, 1, 0, 2] = 255  # pixel (1, 0), blue
    path = write_npz(
        tmp_path / "cifar10.npz",
        train_images=images,
        train_labels=np.zeros(4, np.uint8),
        test_images=images[:1],
        test_labels=np.zeros(1, np.uint8),
    )
    matrix = load_training_matrix(path, 2)
    assert matrix.shape == (2, 3072)
    np.testing.assert_allclose(matrix[0, :6] * 255, [10, 20, 30, 40, 50, 60])
    assert matrix[0, 32 * 3 + 2] == 1.0
    assert not matrix[1].any()


def test_subset_larger_than_the_training_set(tmp_path):
    path = write_npz(tmp_path / "mnist.npz", **mnist_arrays())
    with pytest.raises(ValueError, match=r"subset = 13.*holds 12 training images"):
        load_training_matrix(path, 13)
    with pytest.raises(ValueError, match="subset = 0"):
        load_training_matrix(path, 0)


# ----------------------------------------------------------------------------- configuration


def test_resolve_location(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_location("file://{data_root}/MNIST/raw/", "data") == (
        f"file://{tmp_path}/data/MNIST/raw/"
    )
    assert resolve_location("file://{data_root}/x", "../up") == f"file://{tmp_path.parent}/up/x"
    assert resolve_location("file://{data_root}/a b/", "/srv") == "file:///srv/a%20b/"
    assert resolve_location("{data_root}/c.npz", "d") == f"{tmp_path}/d/c.npz"
    assert resolve_location("https://host/mnist/", "") == "https://host/mnist/"
    with pytest.raises(ValueError, match="data_root is empty"):
        resolve_location("{data_root}/c.npz", "")


def test_resolve_settings_keeps_only_the_source(default_config):
    offline = yaml.safe_load((CONFIG.parent / "offline.yaml").read_text())
    settings = dict(default_config["datasets"]["cifar10"], **offline["datasets"]["cifar10"])
    resolved = resolve_settings(settings, "/data")
    assert resolved == {
        "torchvision": "CIFAR10",
        "mirrors": ["https://www.cs.toronto.edu/~kriz/"],
        "md5": default_config["datasets"]["cifar10"]["md5"],
        "import_npz": "/data/CIFAR10/cifar10-train50000-test1000.npz",
        "retries": 2,
    }


def test_source_inputs_and_description():
    download = {"mirrors": ["https://a/", "file:///b/"], "import_npz": None}
    assert source_inputs(download) == []
    assert describe_source("mnist", download) == "mnist: download from https://a/, file:///b/"
    imported = dict(download, import_npz="/data/c.npz")
    assert source_inputs(imported) == ["/data/c.npz"]
    assert describe_source("cifar10", imported) == "cifar10: import /data/c.npz"


def test_resolved_file_mirror_downloads(tmp_path, mnist_mirror, monkeypatch):
    folder, md5, _ = mnist_mirror
    monkeypatch.chdir(tmp_path)
    mirror = resolve_location("file://{data_root}/mirror/", ".")
    out, record = fetch(tmp_path, [mirror], md5)
    assert record["files"]["t10k-labels-idx1-ubyte.gz"]["url"].startswith(url(folder))


# ------------------------------------------------------------------------------ the workflow


@pytest.mark.workflow
def test_workflow_rule_downloads_from_a_file_mirror(tmp_path, mnist_mirror):
    _, md5, arrays = mnist_mirror
    mnist = {"mirrors": ["file://{data_root}/mirror/"], "md5": md5}
    override = write_yaml(
        tmp_path / "override.yaml", {"data_root": ".", "datasets": {"mnist": mnist}}
    )
    result = snakemake(tmp_path, "-n", "--cores", "1", "download_mnist", configs=(override,))
    assert "download from file://" in result.stdout + result.stderr
    snakemake(tmp_path, "--cores", "1", "download_mnist", configs=(override,))
    manifest = json.loads((tmp_path / "results/data/mnist_manifest.json").read_text())
    served = manifest["files"]["train-images-idx3-ubyte.gz"]["url"]
    assert served == url(tmp_path / "mirror") + "train-images-idx3-ubyte.gz"
    with np.load(tmp_path / "results/data/mnist.npz") as npz:
        np.testing.assert_array_equal(npz["test_images"], arrays["test_images"])
    assert not (tmp_path / "results/data/.mnist_download").exists()
    assert "attempt 1/3" in (tmp_path / "results/logs/data/mnist.log").read_text()


# ------------------------------------------------------------------------------- real data


@needs_real_data
def test_real_mnist_through_a_file_mirror(tmp_path, default_config):
    settings = resolve_settings(
        dict(default_config["datasets"]["mnist"], mirrors=["file://{data_root}/MNIST/raw/"]),
        REAL_DATA,
    )
    assert settings["md5"] == PUBLISHED_MNIST_MD5
    out, record = fetch(tmp_path, settings["mirrors"], settings["md5"], retries=0)
    assert record["counts"] == {"train": 60_000, "test": 10_000}
    assert record["complete"] == {"train": True, "test": True}
    assert {f: e["md5"] for f, e in record["files"].items()} == PUBLISHED_MNIST_MD5
    matrix = load_training_matrix(out / "mnist.npz", 50_000)
    assert matrix.shape == (50_000, 784)
    trace = np.einsum("ij,ij->", matrix, matrix) / len(matrix)  # tr(X^T X / N)
    assert trace == pytest.approx(88.06, abs=0.01)


@needs_real_data
def test_real_cifar10_import(tmp_path):
    source = Path(REAL_DATA) / "CIFAR10" / "cifar10-train50000-test1000.npz"
    record = import_dataset("cifar10", source, tmp_path / "c.npz", tmp_path / "c.json", "CIFAR10")
    assert record["shapes"]["train_images"] == [50_000, 32, 32, 3]
    assert record["counts"] == {"train": 50_000, "test": 1_000}
    assert record["complete"] == {"train": True, "test": False}
    sums = dict(
        line.split()[::-1] for line in (Path(REAL_DATA) / "SHA256SUMS").read_text().splitlines()
    )
    assert record["sha256"] == sums["./CIFAR10/cifar10-train50000-test1000.npz"]
    with np.load(tmp_path / "c.npz") as npz:
        assert npz["train_images"].shape == (50_000, 32, 32, 3)
        assert npz["train_images"].dtype == np.uint8
    matrix = load_training_matrix(tmp_path / "c.npz", 100)
    assert matrix.shape == (100, 3072)
