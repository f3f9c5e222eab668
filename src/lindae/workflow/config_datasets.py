"""The configured datasets before their jobs run: sizes, and the checks of their entries.

A dataset is a config entry, ``datasets.<name>``: where it comes from (a torchvision class
with mirrors and checksums, an ``.npz`` to import or a folder of images) and how many training
images are used. What sizing its jobs needs (image shape, hence D, and the training-set size)
is read from the data where they are at hand, the header of the ``.npz`` it is imported from
(:func:`lindae.data.npz_facts`) or of one image of its folder
(:func:`lindae.image_folder.image_folder_facts`), else from the torchvision class it is
downloaded with (:data:`lindae.data.TORCHVISION`); never from its name.
:func:`dataset_problems` checks the entries and the per-dataset settings against each other
and against these facts, one line per problem naming the key. Never imports snakemake, numpy
or torchvision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lindae.data import PREPROCESSING, TORCHVISION, DatasetFacts, npz_facts
from lindae.figures.base import PAPER_DATASETS
from lindae.image_folder import image_folder_facts
from lindae.workflow.download import resolve_location

__all__ = [
    "PAPER_DATASETS",
    "dataset_facts",
    "configured_facts",
    "dataset_preprocessing",
    "dataset_problems",
    "sampled_noise_datasets",
]


def sampled_noise_datasets(config: Mapping[str, Any]) -> list[str]:
    """The datasets the sampled-noise linear DAE trains on (none when it is disabled)."""
    sampled = config["linear"]["sampled_noise"]
    return list(sampled["datasets"]) if sampled["enabled"] else []


def dataset_preprocessing(settings: Mapping[str, Any]) -> str:
    """How one dataset entry's pixels become X: its ``preprocessing``, else ``scale`` (the
    paper's, :data:`lindae.data.PREPROCESSING`)."""
    return settings.get("preprocessing") or PREPROCESSING[0]


def dataset_facts(settings: Mapping[str, Any], data_root: str) -> DatasetFacts | None:
    """Training-set size and image shape of one dataset entry: from the header of its
    ``import_npz`` or of one image of its ``image_folder`` (with the images counted) when
    readable, else from its ``torchvision`` class; None when neither is known (an import file
    or folder not there yet: Snakemake names it as a missing input)."""
    for key, read in (("import_npz", npz_facts), ("image_folder", image_folder_facts)):
        path = settings.get(key)
        if not path:
            continue
        try:
            facts = read(resolve_location(path, data_root))
        except ValueError:  # {data_root} with an empty data_root: reported where resolved
            facts = None
        if facts is not None:
            return facts
    official = TORCHVISION.get(settings.get("torchvision") or "")
    if official is None:
        return None
    return DatasetFacts(official.train_count, official.image_shape)


def configured_facts(config: Mapping[str, Any]) -> dict[str, DatasetFacts | None]:
    """:func:`dataset_facts` of every configured dataset, by name."""
    root = config.get("data_root", "")
    return {name: dataset_facts(entry, root) for name, entry in config["datasets"].items()}


def _source_problems(name: str, entry: Mapping[str, Any]) -> list[str]:
    """Where the dataset comes from: exactly one of a torchvision class (with mirrors and md5),
    an ``.npz`` import (its torchvision class, if set, only checks the pixels) or an image
    folder."""
    key = f"datasets.{name}"
    folder = entry.get("image_folder")
    if folder and entry.get("import_npz"):
        return [
            f"{key}: two sources, import_npz and image_folder; set one of them to null "
            "(exactly one of torchvision, import_npz or image_folder)"
        ]
    if folder and entry.get("torchvision"):
        return [
            f"{key}: two sources, torchvision = {entry['torchvision']} and image_folder; set "
            "torchvision to null to read the folder (exactly one of torchvision, import_npz "
            "or image_folder)"
        ]
    if entry.get("import_npz") or folder:
        return []
    if not entry.get("torchvision"):
        return [
            f"{key}: no source; set torchvision (the class that downloads it: "
            f"{', '.join(TORCHVISION)}), import_npz (a pre-extracted .npz) or image_folder "
            "(a folder with one sub-folder of images per class)"
        ]
    problems = []
    if not entry.get("mirrors"):
        problems.append(
            f"{key}.mirrors = {entry.get('mirrors', [])}: must list at least one mirror "
            f"(http(s):// or file://) while {key}.import_npz is null; or set import_npz to a "
            "pre-extracted .npz"
        )
    if not entry.get("md5"):
        problems.append(
            f"{key}.md5: missing; give the md5 of every file torchvision's "
            f"{entry['torchvision']} downloads (verified after each download)"
        )
    return problems


def _map_problems(config: Mapping[str, Any]) -> list[str]:
    """Per-dataset maps name configured datasets only; the linear models' entries cover every
    dataset (any of them can be trained), the ReLU models' those of Fig. 6."""
    datasets = list(config["datasets"])
    known = ", ".join(datasets)
    linear, nonlinear = config["linear"], config["nonlinear"]
    maps = {
        "linear.hidden": linear["hidden"],
        "linear.lr": linear["lr"],
        "nonlinear.hidden": nonlinear["hidden"],
    }
    if isinstance(nonlinear["noise_std"], Mapping):
        maps["nonlinear.noise_std"] = nonlinear["noise_std"]
    problems = [
        f"{key}.{name}: no dataset {name!r} is configured (datasets: {known})"
        for key, values in maps.items()
        for name in values
        if name not in config["datasets"]
    ]
    sampled = linear["sampled_noise"]
    problems += [
        f"linear.sampled_noise.datasets: {name!r} is not a configured dataset (datasets: {known})"
        for name in sampled["datasets"]
        if name not in config["datasets"]
    ]
    for name in datasets:
        if name not in linear["hidden"]:
            problems.append(
                f"linear.hidden.{name}: missing; every configured dataset needs its hidden "
                "units H (e.g. 64)"
            )
    if 6 in config["figures"]:
        problems += [
            f"nonlinear.{key}.{name}: missing; Fig. 6 trains the ReLU models on {name}"
            for key in ("hidden", "noise_std")
            if isinstance(nonlinear[key], Mapping)
            for name in PAPER_DATASETS
            if name in config["datasets"] and name not in nonlinear[key]
        ]
    if sampled["enabled"] and sampled["datasets"] == []:
        problems.append(
            "linear.sampled_noise.datasets = []: must name at least one of "
            f"{known} while linear.sampled_noise.enabled is true (or set enabled: false)"
        )
    return problems


def _size_problems(name: str, facts: DatasetFacts, config: Mapping[str, Any]) -> list[str]:
    """Subsets, hidden sizes and modes against one dataset's size and dimension."""
    size, dimension = facts.train_count, facts.dimension
    subset = config["datasets"][name]["subset"]
    problems = []
    if subset > size:
        problems.append(
            f"datasets.{name}.subset = {subset}: must be <= {size} (the {name} training-set size)"
        )
    hidden = config["linear"]["hidden"].get(name)
    if hidden is not None and hidden > dimension:
        problems.append(f"linear.hidden.{name} = {hidden}: must be <= D = {dimension}")
    wide = config["nonlinear"]["hidden"].get(name)
    if wide is not None and wide > dimension:
        problems.append(f"nonlinear.hidden.{name} = {wide}: must be <= D = {dimension}")
    modes = config["fig5"]["modes"]
    if hidden is not None and modes and max(modes) > hidden:
        problems.append(
            f"fig5.modes = {modes}: every mode must be <= linear.hidden.{name} "
            f"= {hidden} (only H modes can be learned)"
        )
    sampled = config["linear"]["sampled_noise"]
    if name in sampled["datasets"] and sampled["subset"] > size:
        problems.append(
            f"linear.sampled_noise.subset = {sampled['subset']}: must be <= {size} (the {name} "
            "training-set size)"
        )
    return problems


def dataset_problems(config: Mapping[str, Any]) -> list[str]:
    """Every problem of the dataset entries and the per-dataset settings (the config passed
    the schema), one line each naming the key and what would be valid."""
    problems = _map_problems(config)
    for name, entry in config["datasets"].items():
        problems += _source_problems(name, entry)
    for name, facts in configured_facts(config).items():
        if facts is not None:
            problems += _size_problems(name, facts, config)
    return problems
