"""Real datasets (MNIST, CIFAR-10): their facts, one canonical ``.npz`` each, the data matrix.

Every later stage reads the same four uint8 arrays, whatever their origin:

``train_images``, ``test_images``
    torchvision's layout: MNIST ``(N, 28, 28)``, CIFAR-10 ``(N, 32, 32, 3)`` (HWC, as
    ``torchvision.datasets.CIFAR10(...).data``).
``train_labels``, ``test_labels``
    class indices 0-9, shape ``(N,)``.

:func:`import_dataset` validates a pre-extracted ``.npz`` holding the four arrays (for sites
that have the pixels but not the original archives, e.g. CIFAR-10 without its tarball) and
writes it, with a JSON manifest recording where the data came from, as the canonical file;
:func:`validate_arrays`, :func:`dataset_manifest` and :func:`write_dataset` are the same steps
for arrays obtained otherwise (the workflow's downloader, :mod:`lindae.workflow.download`).
:func:`load_training_matrix` turns the canonical file into the data matrix ``X`` of the linear
models. Beyond the layout, both check what the analysis needs of the pixels: raw 0-255 values,
not one constant value, not one image repeated (a degenerate spectrum otherwise runs to
plausible-looking NaN or zero results). Never imports snakemake, torchvision or
:mod:`lindae.workflow`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lindae.errors import UserError
from lindae.io import atomic_path, intermediate_file_error, write_json

from .lazy import lazy_import

np = lazy_import("numpy")

__all__ = [
    "DATASETS",
    "ARRAY_KEYS",
    "DatasetInfo",
    "DatasetFileError",
    "dataset_info",
    "validate_arrays",
    "check_images",
    "dataset_manifest",
    "write_dataset",
    "import_dataset",
    "load_training_matrix",
]

LOG = logging.getLogger(__name__)  # a child of "lindae": lindae.io.job_log captures it


@dataclass(frozen=True)
class DatasetInfo:
    """Official facts about one dataset."""

    name: str
    train_count: int
    test_count: int
    image_shape: tuple[int, ...]
    classes: int = 10

    @property
    def dimension(self) -> int:
        """Input dimension D: pixels (times channels) of one image."""
        return math.prod(self.image_shape)


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo("mnist", 60_000, 10_000, (28, 28)),
    "cifar10": DatasetInfo("cifar10", 50_000, 10_000, (32, 32, 3)),
}
ARRAY_KEYS = ("train_images", "train_labels", "test_images", "test_labels")


class DatasetFileError(ValueError, UserError):
    """A dataset ``.npz`` is unreadable or does not hold the expected arrays or pixels."""


def dataset_info(name: str) -> DatasetInfo:
    """The facts of dataset ``name``; ValueError naming the known ones otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


# --------------------------------------------------------------------------------------------
# import and validation


def validate_arrays(
    name: str, arrays: Mapping[str, np.ndarray], source: str
) -> dict[str, np.ndarray]:
    """Check keys, dtype, shapes, counts and label range; errors name the source and key."""
    info = dataset_info(name)
    missing = [key for key in ARRAY_KEYS if key not in arrays]
    if missing:
        raise DatasetFileError(
            f"{source}: missing array(s) {', '.join(missing)}; a {name} .npz must hold "
            f"{', '.join(ARRAY_KEYS)} (found: {', '.join(sorted(arrays)) or 'none'})"
        )
    for key in ARRAY_KEYS:
        if arrays[key].dtype != np.uint8:
            raise DatasetFileError(
                f"{source}: {key} has dtype {arrays[key].dtype}, expected uint8 "
                "(raw pixels 0-255 and class indices)"
            )
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        official = getattr(info, f"{split}_count")
        expected = f"(N, {', '.join(map(str, info.image_shape))}) with 1 <= N <= {official}"
        if images.shape[1:] != info.image_shape or not 1 <= images.shape[0] <= official:
            layout = " (HWC, as torchvision's CIFAR10.data)" if name == "cifar10" else ""
            raise DatasetFileError(
                f"{source}: {split}_images has shape {images.shape}, expected {expected}{layout}"
            )
        if labels.shape != (images.shape[0],):
            raise DatasetFileError(
                f"{source}: {split}_labels has shape {labels.shape}, expected "
                f"({images.shape[0]},) to match {split}_images"
            )
        if labels.size and labels.max() >= info.classes:
            raise DatasetFileError(
                f"{source}: {split}_labels holds {int(labels.max())}, expected class indices "
                f"0-{info.classes - 1}"
            )
    check_images(name, arrays["train_images"], source, "train_images")
    return {key: arrays[key] for key in ARRAY_KEYS}


def check_images(name: str, images: np.ndarray, source: str, what: str) -> None:
    """Refuse uint8 ``images`` (N, ...) the analysis cannot use, naming ``source`` and ``what``.

    Every pixel the same value (e.g. an all-zero export) gives Sigma_bar = c^2 11^T, or 0;
    only 0 and 1 means pixels scaled to 0-1 before the uint8 cast (the analysis divides by
    255); one image repeated N times has rank 1. Each would otherwise train and plot without
    an error. Costs two passes over the bytes.
    """
    low, high = int(images.min()), int(images.max())
    where = f"{source}: {what} ({name}, {len(images)} images)"
    fix = "export the real images as raw uint8 pixels 0-255"
    if low == high:
        raise DatasetFileError(
            f"{where}: every pixel is {low}, so the data carry no directions to learn (at "
            f"most one non-zero eigenvalue); {fix}"
        )
    if high <= 1:
        raise DatasetFileError(
            f"{where}: the pixels only take the values {low} and {high}, expected raw pixels "
            f"0-255 (were they scaled to 0-1 before the uint8 cast?); {fix}"
        )
    if len(images) > 1 and (images == images[:1]).all():
        raise DatasetFileError(
            f"{where}: all images are the same image, so the data have a single non-zero "
            f"eigenvalue; {fix}"
        )


def dataset_manifest(name: str, method: str, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The manifest fields every source shares: counts, completeness, shapes, dtype."""
    info = dataset_info(name)
    train, test = len(arrays["train_images"]), len(arrays["test_images"])
    return {
        "dataset": name,
        "method": method,
        "counts": {"train": train, "test": test},
        "complete": {"train": train == info.train_count, "test": test == info.test_count},
        "shapes": {key: list(arrays[key].shape) for key in ARRAY_KEYS},
        "dtype": "uint8",
    }


def write_dataset(
    arrays: Mapping[str, np.ndarray],
    record: Mapping[str, Any],
    destination: str | os.PathLike[str],
    manifest: str | os.PathLike[str],
) -> None:
    """Write arrays then manifest, atomically; on any failure remove both."""
    try:
        with atomic_path(destination) as temporary, open(temporary, "wb") as handle:
            np.savez(handle, **arrays)
        write_json(dict(record), manifest)
    except BaseException:
        Path(destination).unlink(missing_ok=True)
        Path(manifest).unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise DatasetFileError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetFileError(f"{path}: not a readable .npz archive ({error})") from error


def import_dataset(
    name: str,
    npz_path: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    manifest: str | os.PathLike[str],
) -> dict[str, Any]:
    """Validate a pre-extracted ``.npz`` and write it as the canonical arrays plus manifest.

    ``npz_path`` must hold ``train_images``, ``train_labels``, ``test_images`` and
    ``test_labels``, all uint8, images in torchvision's layout (see the module docstring);
    either split may be shorter than the official one (e.g. the first 1,000 CIFAR-10 test
    images). The source is only read, so a read-only location works. The manifest records the
    source path and its sha256 (method ``"import"``). On failure raises
    :class:`DatasetFileError` naming the file, the array and what was expected, and leaves
    nothing at ``destination`` or ``manifest``.
    """
    source = Path(npz_path)
    try:
        LOG.info("%s: importing %s", name, source)
        arrays = validate_arrays(name, _read_npz(source), str(source))
        record = dataset_manifest(name, "import", arrays) | {
            "source": str(source.resolve()),
            "sha256": _sha256(source),
        }
        write_dataset(arrays, record, destination, manifest)
    except BaseException:
        Path(destination).unlink(missing_ok=True)
        Path(manifest).unlink(missing_ok=True)
        raise
    LOG.info("%s: %s", name, record["counts"])
    return record


# --------------------------------------------------------------------------------------------
# use


def load_training_matrix(
    npz_path: str | os.PathLike[str], subset: int, dtype: type | np.dtype | str = "float64"
) -> np.ndarray:
    """The data matrix X, shape ``(subset, D)``: the first ``subset`` training images / 255.

    Each image is flattened row-major in its stored layout (MNIST row by row; CIFAR-10 HWC,
    i.e. the three channels of a pixel adjacent). No centring. The subset is checked like an
    import (:func:`check_images`); an unreadable file names itself and how to rebuild it.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type, got {dtype}")
    name = Path(npz_path).stem
    rule = f"download_{name}" if name in DATASETS else None
    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            images = npz["train_images"]
    except FileNotFoundError:
        raise intermediate_file_error(npz_path, "dataset file", "no such file", rule) from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        problem = f"not a readable dataset archive: {type(error).__name__}: {error}"
        raise intermediate_file_error(npz_path, "dataset file", problem, rule) from error
    available = len(images)
    if not 1 <= subset <= available:
        raise DatasetFileError(
            f"subset = {subset}, but {npz_path} holds {available} training images "
            f"(subset must be between 1 and {available})"
        )
    check_images(name, images[:subset], str(npz_path), f"the first {subset} train_images")
    matrix = images[:subset].reshape(subset, -1).astype(dtype)
    matrix /= dtype.type(255)
    return matrix
