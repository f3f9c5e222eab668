"""A folder of images as a dataset source (``datasets.<name>.image_folder``).

The folder is laid out like torchvision's ``ImageFolder``: one sub-folder per class (sorted
names = labels 0, 1, ...) holding image files (:data:`IMAGE_SUFFIXES`). Every image becomes a
training image, in class-folder then file-name order; the test split is empty (the analysis
uses training images only). :func:`import_image_folder` writes the same canonical ``.npz`` and
manifest as an ``.npz`` import (:mod:`lindae.data`), so nothing downstream knows the
difference; :func:`image_folder_facts` sizes the jobs before it runs. Pillow is imported only
inside the functions that read images (the data rules' environment has it). Never imports
snakemake or :mod:`lindae.workflow`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from .data import (
    DatasetFacts,
    DatasetFileError,
    dataset_manifest,
    removed_on_failure,
    validate_arrays,
    write_dataset,
)
from .lazy import lazy_import

np = lazy_import("numpy")

__all__ = ["IMAGE_SUFFIXES", "read_image_folder", "image_folder_facts", "import_image_folder"]

LOG = logging.getLogger(__name__)  # a child of "lindae": lindae.io.job_log captures it

#: File endings read from an image folder, any case.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


#: The image modes an image folder may hold, and the array shape each gives.
_FOLDER_MODES = {"L": "(N, H, W)", "RGB": "(N, H, W, 3)", "P": "L or RGB, by its palette"}


def _folder_mode(image: Any) -> str | None:
    """The mode ``image`` (a PIL image) is stored as: ``L`` or ``RGB``; a palette image (``P``)
    as ``L`` when every palette colour is grey, else ``RGB``; None for any other mode."""
    if image.mode in ("L", "RGB"):
        return image.mode
    if image.mode != "P":
        return None
    palette = image.getpalette() or []  # [r, g, b, r, g, b, ...]
    grey = all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette), 3))
    return "L" if grey else "RGB"


def _visible(folder: Path) -> list[Path]:
    """The entries of ``folder`` by name, hidden ones (.DS_Store, ._*) left out."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _class_folders(folder: Path) -> list[Path]:
    """The class folders of an image folder, in label order."""
    return [p for p in _visible(folder) if p.is_dir()]


def _folder_files(folder: Path) -> list[tuple[int, Path]]:
    """(label, file) of every image of an ImageFolder layout, sorted by class folder then file
    name; DatasetFileError naming the path for a missing or empty folder, a loose file, an
    empty class folder or a file that is not an image. Hidden entries (.DS_Store) are skipped.
    """
    layout = (
        "one sub-folder per class (sorted names = labels 0, 1, ...) holding "
        f"{', '.join(IMAGE_SUFFIXES)} files"
    )
    if not folder.is_dir():
        raise DatasetFileError(f"{folder}: no such folder; expected {layout}")
    entries = _visible(folder)
    loose = [p for p in entries if not p.is_dir()]
    if loose:
        raise DatasetFileError(f"{loose[0]}: a file outside any class folder; expected {layout}")
    if not entries:
        raise DatasetFileError(f"{folder}: empty folder; expected {layout}")
    if len(entries) > 256:
        raise DatasetFileError(
            f"{folder}: {len(entries)} class folders, at most 256 fit the uint8 labels"
        )
    files = []
    for label, classdir in enumerate(entries):
        members = _visible(classdir)
        for path in members:
            if path.is_dir() or path.suffix.lower() not in IMAGE_SUFFIXES:
                raise DatasetFileError(
                    f"{path}: not an image file; a class folder holds only "
                    f"{', '.join(IMAGE_SUFFIXES)} files (any case)"
                )
        if not members:
            raise DatasetFileError(f"{classdir}: empty class folder; expected {layout}")
        files += [(label, path) for path in members]
    return files


def read_image_folder(folder: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The four canonical arrays of a folder laid out like torchvision's ImageFolder.

    Every image becomes a training image (class folder, then file name order; labels = the
    sorted class folders' indices); the test split is empty (the analysis uses training
    images only). Every image must have the first one's size and mode: ``L`` (greyscale,
    ``(N, H, W)``) or ``RGB`` (``(N, H, W, 3)``); a palette image (``P``) is converted by its
    palette (:func:`_folder_mode`). Anything else raises :class:`DatasetFileError` naming the
    file and what would be valid. Needs Pillow.
    """
    from PIL import Image, UnidentifiedImageError

    files = _folder_files(Path(folder))
    images, first = [], None
    for _, path in files:
        try:
            with Image.open(path) as image:
                mode = _folder_mode(image)
                if mode is None:
                    valid = "; ".join(f"{m}: {s}" for m, s in _FOLDER_MODES.items())
                    raise DatasetFileError(
                        f"{path}: image mode {image.mode}, expected one of {valid} "
                        "(convert it, e.g. drop the alpha channel)"
                    )
                pixels = np.asarray(image.convert(mode), dtype=np.uint8)
                size = image.size
        except (OSError, UnidentifiedImageError, SyntaxError) as error:
            raise DatasetFileError(f"{path}: not a readable image ({error})") from error
        if first is None:
            first = (path, size, mode)
        elif (size, mode) != first[1:]:
            raise DatasetFileError(
                f"{path}: {size[0]}x{size[1]} {mode}, but {first[0]} is "
                f"{first[1][0]}x{first[1][1]} {first[2]}; every image must have the same "
                "size and mode"
            )
        images.append(pixels)
    train = np.stack(images)
    return {
        "train_images": train,
        "train_labels": np.array([label for label, _ in files], dtype=np.uint8),
        "test_images": np.zeros((0, *train.shape[1:]), dtype=np.uint8),
        "test_labels": np.zeros(0, dtype=np.uint8),
    }


def image_folder_facts(folder: str | os.PathLike[str]) -> DatasetFacts | None:
    """Training-image count and shape of an image folder before it is read: the image files
    counted, one image's header read (no pixels); None when the folder is missing, holds no
    image, its first image is unreadable or of an unsupported mode, or Pillow is missing."""
    try:
        from PIL import Image

        files = [
            p
            for classdir in _class_folders(Path(folder))
            for p in _visible(classdir)
            if p.suffix.lower() in IMAGE_SUFFIXES
        ]
        if not files:
            return None
        with Image.open(files[0]) as image:
            mode = _folder_mode(image)
            width, height = image.size
    except (ImportError, OSError, SyntaxError, ValueError):
        return None
    if mode is None:
        return None
    return DatasetFacts(len(files), (height, width, 3) if mode == "RGB" else (height, width))


def import_image_folder(
    name: str,
    folder: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    manifest: str | os.PathLike[str],
) -> dict[str, Any]:
    """Read an image folder (:func:`read_image_folder`), validate the arrays like an import and
    write them as the canonical arrays plus manifest (method ``"image_folder"``; the source
    folder, its class folders, and ``sha256_arrays``: the sha256 of the labels then the
    pixels read, a folder having no one file to checksum). Every problem is
    raised before anything is written; nothing is left at ``destination`` or ``manifest``.
    """
    source = Path(folder)
    with removed_on_failure(destination, manifest):
        LOG.info("%s: reading the image folder %s", name, source)
        arrays = validate_arrays(name, read_image_folder(source), str(source), empty_test=True)
        digest = hashlib.sha256()  # of what the analysis reads: labels, then pixels
        for key in ("train_labels", "train_images"):
            digest.update(np.ascontiguousarray(arrays[key]).tobytes())
        classes = [p.name for p in _class_folders(source)]
        record = dataset_manifest(name, "image_folder", arrays) | {
            "source": str(source.resolve()),
            "classes": classes,
            "sha256_arrays": digest.hexdigest(),
        }
        write_dataset(arrays, record, destination, manifest)
    LOG.info("%s: %s", name, record["counts"])
    return record
