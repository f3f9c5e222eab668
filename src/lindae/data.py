"""Image datasets: their shapes from the data, one canonical ``.npz`` each, the data matrix.

Every later stage reads the same four uint8 arrays, whatever their origin:

``train_images``, ``test_images``
    torchvision's layout: ``(N, H, W)`` (MNIST and its kin) or ``(N, H, W, C)`` (HWC, as
    ``torchvision.datasets.CIFAR10(...).data``), the same image shape in both splits.
``train_labels``, ``test_labels``
    class indices, shape ``(N,)``.

A dataset is named by the config (``datasets.<name>``), never here: its image shape and counts
come from its arrays (or, before they exist, from the header of the ``.npz`` it is imported
from, :func:`npz_facts`, or the facts of the torchvision class it is downloaded with,
:data:`TORCHVISION`).
:func:`import_dataset` validates a pre-extracted ``.npz`` holding the four arrays (for sites
that have the pixels but not the original archives, e.g. CIFAR-10 without its tarball) and
writes it, with a JSON manifest recording where the data came from, as the canonical file;
:mod:`lindae.image_folder` does the same for a folder of image files.
:func:`validate_arrays`, :func:`dataset_manifest` and :func:`write_dataset` are the same steps
for arrays obtained otherwise (the workflow's downloader, :mod:`lindae.workflow.download`).
:func:`load_training_matrix` turns the canonical file into the data matrix ``X`` of the linear
models (pixels / 255, optionally centred or standardised: :data:`PREPROCESSING`). Beyond the
layout, both check what the analysis needs of the pixels: raw 0-255 values,
not one constant value, not one image repeated (a degenerate spectrum otherwise runs to
plausible-looking NaN or zero results). Never imports snakemake, torchvision or
:mod:`lindae.workflow`.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import logging
import math
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lindae.errors import UserError
from lindae.io import atomic_path, intermediate_file_error, write_json

from .lazy import lazy_import

np = lazy_import("numpy")

__all__ = [
    "TORCHVISION",
    "ARRAY_KEYS",
    "TorchvisionClass",
    "DatasetFacts",
    "DatasetFileError",
    "torchvision_class",
    "npz_facts",
    "validate_arrays",
    "check_images",
    "dataset_manifest",
    "write_dataset",
    "import_dataset",
    "load_training_matrix",
    "removed_on_failure",
    "PREPROCESSING",
    "check_preprocessing",
    "preprocess",
]

LOG = logging.getLogger(__name__)  # a child of "lindae": lindae.io.job_log captures it


@dataclass(frozen=True)
class TorchvisionClass:
    """A torchvision dataset class lindae can download: how its files are laid out, and its
    official split sizes (for the manifest's ``complete`` and checks before any download)."""

    name: str  # the torchvision.datasets class
    family: str  # "idx": MNIST-like gzipped IDX files; "cifar": one pickled-batch archive
    image_shape: tuple[int, ...]
    train_count: int
    test_count: int
    classes: int


#: The supported torchvision classes (``datasets.<name>.torchvision``).
TORCHVISION: dict[str, TorchvisionClass] = {
    cls.name: cls
    for cls in (
        TorchvisionClass("MNIST", "idx", (28, 28), 60_000, 10_000, 10),
        TorchvisionClass("FashionMNIST", "idx", (28, 28), 60_000, 10_000, 10),
        TorchvisionClass("KMNIST", "idx", (28, 28), 60_000, 10_000, 10),
        TorchvisionClass("CIFAR10", "cifar", (32, 32, 3), 50_000, 10_000, 10),
        TorchvisionClass("CIFAR100", "cifar", (32, 32, 3), 50_000, 10_000, 100),
    )
}
ARRAY_KEYS = ("train_images", "train_labels", "test_images", "test_labels")

#: How pixels become the rows of X (``datasets.<name>.preprocessing``), the default first:
#: ``scale`` (the paper's: / 255), ``center`` (then minus the per-pixel mean of the rows
#: loaded), ``standardize`` (then divided by the per-pixel standard deviation).
PREPROCESSING = ("scale", "center", "standardize")


@dataclass(frozen=True)
class DatasetFacts:
    """What sizing a dataset's jobs needs before they run: training images and image shape."""

    train_count: int
    image_shape: tuple[int, ...]

    @property
    def dimension(self) -> int:
        """Input dimension D: pixels (times channels) of one image."""
        return math.prod(self.image_shape)


class DatasetFileError(ValueError, UserError):
    """A dataset ``.npz`` is unreadable or does not hold the expected arrays or pixels."""


def torchvision_class(name: str) -> TorchvisionClass:
    """The facts of torchvision class ``name``; ValueError naming the supported ones."""
    try:
        return TORCHVISION[name]
    except KeyError:
        raise ValueError(
            f"unsupported torchvision class {name!r}; supported: {', '.join(TORCHVISION)}"
        ) from None


def npz_facts(path: str | os.PathLike[str]) -> DatasetFacts | None:
    """Training-image count and shape of a dataset ``.npz`` from its ``train_images`` header
    alone (no numpy, no pixels read; a compressed archive works too); None when the file is
    missing or holds no readable ``train_images.npy``."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("train_images.npy") as member:
            head = member.read(10)
            if head[:6] != b"\x93NUMPY":
                return None
            size = int.from_bytes(head[8:10], "little")
            if head[6] >= 2:  # format 2.0 and later: a 4-byte header length
                head += member.read(2)
                size = int.from_bytes(head[8:12], "little")
            header = ast.literal_eval(member.read(size).decode("latin1"))
        shape = tuple(int(n) for n in header["shape"])
    except (OSError, KeyError, ValueError, SyntaxError, TypeError, zipfile.BadZipFile):
        return None
    if len(shape) < 3:
        return None
    return DatasetFacts(shape[0], shape[1:])


# --------------------------------------------------------------------------------------------
# import and validation


def validate_arrays(
    name: str,
    arrays: Mapping[str, np.ndarray],
    source: str,
    official: TorchvisionClass | None = None,
    empty_test: bool = False,
) -> dict[str, np.ndarray]:
    """Check keys, dtype, shapes and labels; errors name the source and the key.

    The image shape comes from the data: ``(N, H, W)`` or ``(N, H, W, C)``, the same for both
    splits, N >= 1 (N = 0 allowed for the test split with ``empty_test``: an image folder has
    none), one uint8 label per image. With the torchvision class it came from (``official``),
    the image shape, the split sizes and the label range must also be that class's.
    """
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
    shape = tuple(arrays["train_images"].shape[1:])
    if official is not None:
        shape = official.image_shape
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        limit = getattr(official, f"{split}_count", None)
        if official is not None:
            expected = f"(N, {', '.join(map(str, shape))}) with 1 <= N <= {limit}"
        else:
            expected = "(N, height, width) or (N, height, width, channels) with N >= 1"
            if split == "test":
                expected += f" and the images of train_images, {shape}"
        least = 0 if split == "test" and empty_test else 1
        fits = images.shape[1:] == shape and images.ndim in (3, 4) and len(images) >= least
        if not fits or (limit is not None and len(images) > limit):
            layout = " (HWC, as torchvision's CIFAR10.data)" if len(shape) == 3 else ""
            raise DatasetFileError(
                f"{source}: {split}_images has shape {images.shape}, expected {expected}{layout}"
            )
        if labels.shape != (images.shape[0],):
            raise DatasetFileError(
                f"{source}: {split}_labels has shape {labels.shape}, expected "
                f"({images.shape[0]},) to match {split}_images"
            )
        if official is not None and labels.size and labels.max() >= official.classes:
            raise DatasetFileError(
                f"{source}: {split}_labels holds {int(labels.max())}, expected class indices "
                f"0-{official.classes - 1} ({official.name})"
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


def dataset_manifest(
    name: str,
    method: str,
    arrays: Mapping[str, np.ndarray],
    official: TorchvisionClass | None = None,
) -> dict[str, Any]:
    """The manifest fields every source shares: counts, shapes, dtype; with the torchvision
    class the data come from, whether each split is complete (its official size)."""
    train, test = len(arrays["train_images"]), len(arrays["test_images"])
    record: dict[str, Any] = {
        "dataset": name,
        "method": method,
        "counts": {"train": train, "test": test},
    }
    if official is not None:
        record["complete"] = {
            "train": train == official.train_count,
            "test": test == official.test_count,
        }
    return record | {
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
    torchvision: str | None = None,
) -> dict[str, Any]:
    """Validate a pre-extracted ``.npz`` and write it as the canonical arrays plus manifest.

    ``npz_path`` must hold ``train_images``, ``train_labels``, ``test_images`` and
    ``test_labels``, all uint8, images in torchvision's layout (see the module docstring).
    Given the ``torchvision`` class the pixels come from, they are checked against its facts
    and either split may be shorter than the official one (e.g. the first 1,000 CIFAR-10 test
    images). The source is only read, so a read-only location works. The manifest records the
    source path and its sha256 (method ``"import"``). On failure raises
    :class:`DatasetFileError` naming the file, the array and what was expected, and leaves
    nothing at ``destination`` or ``manifest``.
    """
    source = Path(npz_path)
    with removed_on_failure(destination, manifest):
        LOG.info("%s: importing %s", name, source)
        official = torchvision_class(torchvision) if torchvision else None
        arrays = validate_arrays(name, _read_npz(source), str(source), official)
        record = dataset_manifest(name, "import", arrays, official) | {
            "source": str(source.resolve()),
            "sha256": _sha256(source),
        }
        write_dataset(arrays, record, destination, manifest)
    LOG.info("%s: %s", name, record["counts"])
    return record


@contextlib.contextmanager
def removed_on_failure(*paths: str | os.PathLike[str]) -> Iterator[None]:
    """Remove ``paths`` when the block raises (Ctrl-C included): nothing half-written stays."""
    try:
        yield
    except BaseException:
        for path in paths:
            Path(path).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------------------------
# use


def check_preprocessing(preprocessing: str) -> str:
    """``preprocessing`` if it is one of :data:`PREPROCESSING`, else ValueError naming it and
    the valid ones."""
    if preprocessing not in PREPROCESSING:
        raise ValueError(
            f"preprocessing = {preprocessing!r}: must be one of {', '.join(PREPROCESSING)}"
        )
    return preprocessing


def preprocess(images: np.ndarray, preprocessing: str, dtype: np.dtype) -> np.ndarray:
    """uint8 ``images`` (N, ...) as the rows of X: flattened, / 255, then centred or
    standardised per pixel over these N rows (``preprocessing``, :data:`PREPROCESSING`).

    A pixel constant over the rows is exactly 0 after centring (set from the uint8 values: its
    float mean can differ from it in the last bit) and is not divided (its deviation is 0).
    """
    check_preprocessing(preprocessing)
    matrix = images.reshape(len(images), -1).astype(dtype)
    matrix /= dtype.type(255)  # "scale": the paper's X, bit for bit as before
    if preprocessing == "scale":
        return matrix
    flat = images.reshape(len(images), -1)
    constant = flat.min(axis=0) == flat.max(axis=0)
    matrix -= matrix.mean(axis=0, dtype=dtype)
    matrix[:, constant] = 0
    if preprocessing == "standardize":
        deviation = matrix.std(axis=0, dtype=dtype)
        deviation[constant] = 1
        matrix /= deviation
    return matrix


def load_training_matrix(
    npz_path: str | os.PathLike[str],
    subset: int,
    dtype: type | np.dtype | str = "float64",
    preprocessing: str = "scale",
) -> np.ndarray:
    """The data matrix X, shape ``(subset, D)``: the first ``subset`` training images / 255,
    with ``preprocessing`` (:func:`preprocess`; ``scale``, the default, is the paper's: no
    centring). Centring and standardising use the statistics of these ``subset`` rows only.

    Each image is flattened row-major in its stored layout (MNIST row by row; CIFAR-10 HWC,
    i.e. the three channels of a pixel adjacent). The subset is checked like an import
    (:func:`check_images`); an unreadable file names itself and how to rebuild it.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type, got {dtype}")
    check_preprocessing(preprocessing)
    name = Path(npz_path).stem
    rule = f"download_{name}"
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
    return preprocess(images[:subset], preprocessing, dtype)
