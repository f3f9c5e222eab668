"""Dataset downloads and the data sources of the config: the workflow side of :mod:`lindae.data`.

:func:`fetch_dataset` downloads through torchvision's own code (its dataset classes,
``download_and_extract_archive`` and md5 checks) with the mirror list and checksums from the
configuration, retrying each mirror; ``file://`` mirrors work the same way, which is how offline
machines use a local copy of the original files. A watchdog
(:mod:`lindae.workflow.download_watch`) bounds every network transfer: a mirror that stalls
(less than :data:`STALL_BYTES` in ``stall_seconds``, e.g. a server that drips one byte every
few seconds, which no socket timeout catches) or that has not delivered a file within
``deadline_seconds`` is abandoned, named, and the next mirror is tried. The result
is validated and written by :mod:`lindae.data`, like an imported ``.npz``, with a manifest
naming the URL that served each file. :func:`resolve_location`, :func:`resolve_settings`,
:func:`download_limits`, :func:`source_inputs` and :func:`describe_source` turn a dataset's
config section into rule parameters, inputs and job messages. torchvision is imported only
when downloading, so the workflow can import this module cheaply at parse time. Never imports
snakemake.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lindae.data import (
    ARRAY_KEYS,
    TorchvisionClass,
    dataset_manifest,
    torchvision_class,
    validate_arrays,
    write_dataset,
)

from ..errors import UserError
from ..lazy import lazy_import
from .download_watch import ATTEMPT_WATCHDOG, STALL_BYTES, Watchdog, download_context

np = lazy_import("numpy")

__all__ = [
    "DownloadError",
    "DOWNLOAD_LIMITS",
    "STALL_BYTES",
    "download_limits",
    "fetch_dataset",
    "resolve_location",
    "resolve_settings",
    "source_inputs",
    "describe_source",
]

LOG = logging.getLogger(__name__)  # a child of "lindae": lindae.io.job_log captures it


def _offline_hint(name: str, official: TorchvisionClass) -> str:
    folder = f"{official.name}/raw/" if official.family == "idx" else f"{official.name}/"
    return (
        f"Without internet access: list a local folder holding these files as a file:// mirror "
        f'(datasets.{name}.mirrors: ["file://{{data_root}}/{folder}"]), or import a '
        f"pre-extracted .npz with the arrays {', '.join(ARRAY_KEYS)} "
        f'(datasets.{name}.import_npz: "{{data_root}}/{name}.npz"); config/offline.yaml sets '
        "this up for the paper's datasets in a data_root laid out like ../shared/data."
    )


class DownloadError(UserError, RuntimeError):
    """No configured mirror delivered a file with the expected md5."""


#: Time limits of a download (seconds), the defaults of ``datasets.<name>.stall_seconds`` and
#: ``datasets.<name>.deadline_seconds``: a transfer that receives less than STALL_BYTES in
#: ``stall_seconds`` is stalled; one file from one mirror may take at most
#: ``deadline_seconds`` (CIFAR-10's 170 MB at 200 kB/s takes about 15 minutes).
DOWNLOAD_LIMITS = {"stall_seconds": 60.0, "deadline_seconds": 3600.0}


# --------------------------------------------------------------------------------------------
# configuration helpers


def resolve_location(template: str, data_root: str | os.PathLike[str]) -> str:
    """Replace ``{data_root}`` in a mirror URL or file path by ``data_root`` made absolute.

    A relative ``data_root`` is taken relative to the current working directory. In a
    ``file://`` URL the result is a proper ``file:///absolute/path`` URL (percent-encoded, a
    trailing slash kept). Templates without the placeholder are returned unchanged.
    """
    placeholder = "{data_root}"
    if placeholder not in template:
        return template
    if not os.fspath(data_root):
        raise ValueError(
            f"{template!r} uses {placeholder} but data_root is empty; set data_root "
            "(e.g. --config data_root=/path/to/data, or use config/offline.yaml)"
        )
    root = os.path.abspath(os.path.expanduser(os.fspath(data_root)))
    if template.startswith("file://"):
        path = template[len("file://") :].replace(placeholder, root)
        path = os.path.normpath(path) + ("/" if path.endswith("/") else "")
        return "file://" + quote(path)
    return template.replace(placeholder, root)


def resolve_settings(settings: Mapping[str, Any], data_root: str) -> dict[str, Any]:
    """Where one dataset comes from: its config section's source keys, ``{data_root}`` resolved.

    Returns ``torchvision`` (the class that downloads it, or None), ``mirrors``, ``md5``,
    ``import_npz`` (None when downloading), ``retries`` and, only when set, ``image_folder``
    (absent otherwise, so that the parameters of the other sources stay as before); keys
    that do not change the data (``subset``, used by later stages) are left out, so that a
    workflow passing this as rule parameters does not fetch again when they change
    (``preprocessing`` neither: it shapes X, not the canonical arrays).
    """
    import_npz, folder = settings.get("import_npz"), settings.get("image_folder")
    resolved = {
        "torchvision": settings.get("torchvision"),
        "mirrors": [resolve_location(m, data_root) for m in settings.get("mirrors", [])],
        "md5": dict(settings.get("md5", {})),
        "import_npz": resolve_location(import_npz, data_root) if import_npz else None,
        "retries": int(settings.get("retries", 0)),
    }
    if folder:
        resolved["image_folder"] = resolve_location(folder, data_root)
    return resolved


def download_limits(settings: Mapping[str, Any]) -> dict[str, float]:
    """The time limits of one dataset's downloads: its config section's ``stall_seconds`` and
    ``deadline_seconds``, else :data:`DOWNLOAD_LIMITS` (keyword arguments of
    :func:`fetch_dataset`). Kept apart from :func:`resolve_settings`: they do not change the
    data, so a workflow must not fetch again when they change."""
    return {key: float(settings.get(key) or default) for key, default in DOWNLOAD_LIMITS.items()}


def source_inputs(settings: Mapping[str, Any]) -> list[str]:
    """The file or image folder a dataset is imported from (resolved settings), or ``[]`` when
    downloading.

    For a workflow's rule inputs: a missing import file or folder is then reported before any
    job runs.
    """
    return [settings[key] for key in ("import_npz", "image_folder") if settings.get(key)]


def describe_source(name: str, settings: Mapping[str, Any]) -> str:
    """One line saying whether ``name`` is downloaded (and from where) or imported."""
    if settings.get("import_npz"):
        return f"{name}: import {settings['import_npz']}"
    if settings.get("image_folder"):
        return f"{name}: import the image folder {settings['image_folder']}"
    return f"{name}: download from " + ", ".join(settings["mirrors"])


# --------------------------------------------------------------------------------------------
# download


def _torchvision_class(official: TorchvisionClass, mirror: str, md5: Mapping[str, str]) -> type:
    """torchvision's dataset class with its download source replaced by ``mirror`` and ``md5``.

    Only class attributes change (the IDX family: ``mirrors``/``resources``; the CIFAR family:
    ``url``/``filename``/``tgz_md5``); downloading, md5 checks, extraction and parsing stay
    torchvision's. The class keeps torchvision's name, so its files land where torchvision
    expects them.
    """
    from torchvision import datasets

    base = getattr(datasets, official.name)
    if official.family == "idx":
        attributes: dict[str, Any] = {"mirrors": [mirror], "resources": list(md5.items())}
    else:
        ((filename, checksum),) = md5.items()
        attributes = {"url": mirror + filename, "filename": filename, "tgz_md5": checksum}
    return type(base.__name__, (base,), attributes)


def _download_only(cls: type, root: Path) -> None:
    """Run ``cls.download()`` (torchvision's) without loading the dataset afterwards."""
    from torchvision.datasets.vision import VisionDataset

    dataset = cls.__new__(cls)
    VisionDataset.__init__(dataset, str(root))
    dataset.download()


def _expected_files(name: str, official: TorchvisionClass, md5: Mapping[str, str]) -> None:
    """The md5 table must name exactly the files torchvision's loader reads."""
    from torchvision import datasets

    base = getattr(datasets, official.name)
    if official.family == "idx":
        expected = {filename for filename, _ in base.resources}
        if set(md5) != expected:
            raise ValueError(
                f"datasets.{name}.md5 must list exactly {sorted(expected)} (the files of "
                f"torchvision's {official.name}); got {sorted(md5)}"
            )
    elif len(md5) != 1:
        raise ValueError(
            f"datasets.{name}.md5 must list exactly one archive ({base.filename}, the file of "
            f"torchvision's {official.name}); got {sorted(md5)}"
        )


def _failure_text(error: BaseException, path: Path, md5: str) -> str:
    """Explain a failed attempt; an md5 mismatch says so, with both checksums."""
    text = str(error)
    if "got:\n" in text:  # MNIST.download wraps the real error: "Tried <mirror>, got:\n..."
        text = text.split("got:\n", 1)[1].strip()
    # torchvision's verdict on a completed download whose md5 differs
    if "corrupted" in text and path.is_file():
        from torchvision.datasets.utils import calculate_md5

        actual = calculate_md5(path)
        if actual != md5:
            return (
                f"md5 mismatch: got {actual}, expected {md5} (truncated, corrupted or a "
                f"different file; {path.stat().st_size} bytes received)"
            )
    return text if text.startswith("<") else f"{type(error).__name__}: {text}"


def _fetch_file(
    name: str,
    official: TorchvisionClass,
    filename: str,
    md5: str,
    mirrors: Sequence[str],
    retries: int,
    root: Path,
    backoff: float,
    limits: Mapping[str, float],
) -> str:
    """Download one file (checked, extracted) from the first mirror that works; return its URL.

    A mirror that stalls or overruns ``limits["deadline_seconds"]`` is not retried: it would
    most likely stall again, so the next mirror is tried at once.
    """
    failures = []
    for mirror in mirrors:
        url = mirror + filename
        cls = _torchvision_class(official, mirror, {filename: md5})
        # torchvision puts IDX archives in root/<class>/raw, a CIFAR archive in root
        folder = root / official.name / "raw" if official.family == "idx" else root
        error_text, attempts = "", 0
        for attempt in range(1, retries + 2):
            attempts = attempt
            LOG.info("%s: attempt %d/%d: %s", filename, attempt, retries + 1, url)
            watchdog = Watchdog(limits["stall_seconds"], limits["deadline_seconds"])
            token = ATTEMPT_WATCHDOG.set(watchdog)
            try:
                with watchdog:
                    _download_only(cls, root)
            except Exception as error:  # every failure is reported, then retried
                error_text = watchdog.verdict or _failure_text(error, folder / filename, md5)
                LOG.warning("%s: attempt %d from %s failed: %s", filename, attempt, url, error_text)
                (folder / filename).unlink(missing_ok=True)
                if watchdog.verdict is not None:
                    break  # a stalled or overrunning mirror: go on with the next one
                if attempt <= retries and not url.startswith("file://"):
                    time.sleep(backoff * 2 ** (attempt - 1))
                continue
            finally:
                ATTEMPT_WATCHDOG.reset(token)
            LOG.info("%s: md5 %s verified, served by %s", filename, md5, url)
            return url
        failures.append(f"  - {mirror} ({attempts} attempt(s)): {error_text}")
    tried = "\n".join(failures) if failures else "  (no mirrors configured)"
    raise DownloadError(
        f"could not download {filename} (dataset {name}, expected md5 {md5}); mirrors tried:\n"
        f"{tried}\n" + _offline_hint(name, official)
    )


def _load_torchvision(
    official: TorchvisionClass, root: Path, md5: Mapping[str, str]
) -> dict[str, np.ndarray]:
    """Read the downloaded files with torchvision's dataset class into the canonical arrays."""
    cls = _torchvision_class(official, "unused/", md5)
    arrays = {}
    for split, train in (("train", True), ("test", False)):
        dataset = cls(str(root), train=train, download=False)
        images = dataset.data.numpy() if official.family == "idx" else np.asarray(dataset.data)
        labels = np.asarray(dataset.targets)
        arrays[f"{split}_images"] = np.ascontiguousarray(images, dtype=np.uint8)
        arrays[f"{split}_labels"] = labels.astype(np.uint8)
    return arrays


def fetch_dataset(
    name: str,
    mirrors: Sequence[str],
    md5: Mapping[str, str],
    retries: int,
    destination: str | os.PathLike[str],
    manifest: str | os.PathLike[str],
    workdir: str | os.PathLike[str],
    *,
    torchvision: str,
    timeout: float = 30.0,
    backoff: float = 2.0,
    stall_seconds: float = DOWNLOAD_LIMITS["stall_seconds"],
    deadline_seconds: float = DOWNLOAD_LIMITS["deadline_seconds"],
) -> dict[str, Any]:
    """Download dataset ``name`` with torchvision's class ``torchvision`` (one of
    :data:`lindae.data.TORCHVISION`) and write its canonical ``.npz`` and manifest.

    Each file of ``md5`` (filename -> expected md5) is tried from every mirror in order (a
    base URL; http, https or file), each up to ``1 + retries`` times, waiting ``backoff``
    seconds (doubling) between network attempts; every attempt is logged. torchvision checks
    the md5 and extracts the file in ``workdir``, a scratch folder that this function creates
    (it must not exist or be empty) and always removes. ``timeout`` bounds each network
    operation, in seconds. A transfer that receives less than :data:`STALL_BYTES` within
    ``stall_seconds``, or one file from one mirror that takes longer than
    ``deadline_seconds``, is abandoned (named in the log and the error) and the next mirror is
    tried without further retries of that one.

    On success writes ``destination`` (np.savez of the four arrays) and ``manifest`` (JSON:
    the URL that served each file, its md5, sample counts, torchvision version), both
    atomically, and returns the manifest. On failure raises :class:`DownloadError` (naming the
    file, each mirror with its error and how to configure an offline source) and leaves
    nothing at ``destination`` or ``manifest``.
    """
    official = torchvision_class(torchvision)
    workdir = Path(workdir)
    if workdir.exists() and any(workdir.iterdir()):
        raise ValueError(f"scratch folder {workdir} is not empty; remove it or choose another")
    mirrors = [m if m.endswith("/") else m + "/" for m in mirrors]
    limits = {"stall_seconds": stall_seconds, "deadline_seconds": deadline_seconds}
    try:
        from torchvision import __version__ as version

        _expected_files(name, official, md5)
        workdir.mkdir(parents=True, exist_ok=True)
        LOG.info("%s: downloading %d file(s) into %s", name, len(md5), workdir)
        sources = {}
        with download_context(timeout):
            for filename, checksum in md5.items():
                sources[filename] = _fetch_file(
                    name, official, filename, checksum, mirrors, retries, workdir, backoff, limits
                )
        downloaded = _load_torchvision(official, workdir, md5)
        arrays = validate_arrays(name, downloaded, "downloaded files", official)
        record = dataset_manifest(name, "download", arrays, official) | {
            "files": {
                filename: {"url": sources[filename], "md5": checksum}
                for filename, checksum in md5.items()
            },
            "torchvision": version,
        }
        write_dataset(arrays, record, destination, manifest)
    except BaseException:
        Path(destination).unlink(missing_ok=True)
        Path(manifest).unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    LOG.info("%s: wrote %s and %s", name, destination, manifest)
    return record
