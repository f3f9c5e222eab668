"""End to end with the quick preset (config/quick.yaml): Figs 5 and 6 from imported datasets.

Synthetic images with roughly the real datasets' brightness stand in for MNIST and CIFAR-10
(imported through `import_npz`), sized exactly for the preset's subsets, so the preset runs as a
user would run it, in about two minutes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, snakemake, write_yaml

pytestmark = pytest.mark.workflow

QUICK = yaml.safe_load((ROOT / "config" / "quick.yaml").read_text())


def _images(count: int, shape: tuple[int, ...], brightness: float, seed: int) -> np.ndarray:
    """Mixtures of a few sparse templates: a decaying spectrum with a dominant mean mode."""
    rng = np.random.default_rng(seed)
    templates = (rng.random((8, *shape)) < brightness) * 255.0
    weights = rng.dirichlet(np.ones(8) * 0.5, size=count)
    return np.tensordot(weights, templates, axes=1).astype(np.uint8)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("quick")
    shapes = {"mnist": ((28, 28), 0.15), "cifar10": ((32, 32, 3), 0.5)}
    overrides = {"data_root": str(workdir), "datasets": {}}
    for seed, (name, (shape, brightness)) in enumerate(shapes.items()):
        count = QUICK["datasets"][name]["subset"]
        images = _images(count, shape, brightness, seed)
        np.savez(
            workdir / f"{name}.npz",
            train_images=images,
            train_labels=np.zeros(count, np.uint8),
            test_images=images[:5],
            test_labels=np.zeros(5, np.uint8),
        )
        overrides["datasets"][name] = {"import_npz": "{data_root}/" + f"{name}.npz"}
    imports = write_yaml(workdir / "imports.yaml", overrides)
    snakemake(
        workdir, "--cores", "2", "fig5", "fig6", configs=(ROOT / "config" / "quick.yaml", imports)
    )
    return workdir


def test_fig6_outputs(run_dir):
    figures = run_dir / "results" / "figures"
    for stem in ("fig6", "fig6_corrected"):
        for ending in (".pdf", ".png", ".csv", "_notes.json"):
            assert (figures / f"{stem}{ending}").stat().st_size > 500
    agreement = pd.read_csv(run_dir / "results" / "fig6_agreement.csv")
    assert len(agreement) == 2 * 3 * 4
    assert np.isfinite(agreement.max_abs_difference).all()


def test_fig6_layout(run_dir):
    faithful = pd.read_csv(run_dir / "results" / "figures" / "fig6.csv")
    sizes = faithful.groupby(["dataset", "model", "run"]).size()
    epochs, every = QUICK["nonlinear"]["epochs"], 10
    assert sizes.eq(epochs // every + 1).all()  # zero placeholder + one record per 10 epochs
    assert (faithful[faithful.epoch == 0]["value"] == 0).all()
    corrected = pd.read_csv(run_dir / "results" / "figures" / "fig6_corrected.csv")
    simulation = corrected[corrected.source == "simulation"]
    assert simulation.epoch.max() == epochs


def test_fig6_claims_show(run_dir):
    """The quick preset still shows the qualitative claim on the top mode."""
    agreement = pd.read_csv(run_dir / "results" / "fig6_agreement.csv")
    top = agreement[agreement["mode"] == 1].set_index(["dataset", "model"])["final_metric"]
    for dataset in ("mnist", "cifar10"):
        assert top[(dataset, "AE")] > 0.9  # the AE learns the top direction
        assert top[(dataset, "WDAE")] < top[(dataset, "AE")]  # decay shrinks it
        assert top[(dataset, "DAE")] < top[(dataset, "AE")]  # so does noise


def test_fig5_quick_outputs(run_dir):
    figures = run_dir / "results" / "figures"
    for stem in ("fig5", "fig5_corrected", "fig5_sampled_noise", "spectra"):
        assert (figures / f"{stem}.png").stat().st_size > 500
