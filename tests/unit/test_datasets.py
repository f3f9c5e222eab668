"""Datasets as configuration: any torchvision class or .npz by a config entry, sizes from the
data, and the learning rate derived from the spectrum (``linear.lr.<name>: auto``).

Synthetic IDX files (a file:// mirror) and synthetic arrays stand in for real data.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from conftest import SCHEMA, fetch, mnist_arrays, url, write_mnist_mirror

from lindae import limits, models
from lindae.data import DatasetFileError, import_dataset, npz_facts
from lindae.spectra import second_moment_spectrum
from lindae.training import linear, linear_init, stability
from lindae.workflow.config import check_config, coerce_config, config_problems, load_schema
from lindae.workflow.config_datasets import configured_facts

# ------------------------------------------------------------------------- default lr (auto)


@pytest.fixture(scope="module")
def bright():
    """A spectrum with a large lambda_bar_1 (bright images): the paper's MNIST lr diverges."""
    rng = np.random.default_rng(3)
    data = 0.6 + 0.4 * rng.random((200, 256))  # 16 x 16 bright pixels
    return second_moment_spectrum(data, "bright")


def test_auto_lr_is_the_fraction_of_the_smallest_bound(bright):
    lam, noise, decay, hidden = bright.eigenvalues, 0.5, 0.5, 4
    auto = models.auto_learning_rate(lam, noise, decay, hidden, 0.5)
    bounds = {
        name: models.linear_stability(lam, *models.regularisers(name, noise, decay), hidden)
        for name in models.MODELS
    }
    smallest = min(bound.value for bound in bounds.values())
    assert auto.value == 0.5 * smallest
    assert auto.bound == bounds[auto.model] and auto.bound.value == smallest
    assert str(auto).startswith(f"lr auto = {auto.value:.6g} = 0.5 x bound {smallest:.6g}")
    settings = {"lr": "auto", "auto_lr_fraction": 0.5, "noise": noise, "decay": decay}
    assert models.linear_learning_rate(dict(settings, hidden=hidden), lam) == (auto.value, auto)
    assert models.linear_learning_rate(dict(settings, lr=0.01, hidden=hidden), lam) == (0.01, None)
    for fraction in (0.0, 1.0):
        with pytest.raises(ValueError, match="auto_lr_fraction"):
            models.auto_learning_rate(lam, noise, decay, hidden, fraction)
    with pytest.raises(ValueError, match="no learning rate can be derived"):
        models.auto_learning_rate([0.0, 0.0], 0.0, 0.0, 2, 0.5)


def _train(spectrum, model, lr, epochs=1500):
    noise, decay = models.regularisers(model, 0.5, 0.5)
    w1, w2 = linear_init.initial_weights(spectrum.dimension, 4, 1e-4, 321, model)
    return linear.train_eigenbasis(
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        w1,
        w2,
        lr,
        epochs,
        decay=decay,
        noise=noise,
        steps=linear.record_steps(epochs, 100),
    )


@pytest.mark.parametrize("model", list(models.MODELS))
def test_a_run_at_the_auto_lr_is_stable_and_at_twice_the_bound_it_is_not(bright, model):
    auto = models.auto_learning_rate(bright.eigenvalues, 0.5, 0.5, 4, 0.5)
    run = _train(bright, model, auto.value)
    assert np.isfinite(run.projections).all() and np.isfinite(run.loss).all()
    noise, decay = models.regularisers(model, 0.5, 0.5)
    top = bright.eigenvalues[0]
    assert run.projections[-1, 0] == pytest.approx((top - decay) / (top + noise), abs=1e-3)
    bound = models.linear_stability(bright.eigenvalues, noise, decay, 4)
    with pytest.raises(stability.DivergenceError, match="full-batch GD is stable only for lr <"):
        _train(bright, model, 2 * bound.value)


def test_the_paper_mnist_lr_is_above_the_bound_of_bright_images(bright):
    """What makes the default matter: 0.01 (the paper's MNIST lr) exceeds 1/lambda_bar_1."""
    assert bright.eigenvalues[0] > 100
    assert 0.01 > models.stability_bound(bright.eigenvalues, hidden=4)


# ------------------------------------------------------------------- torchvision classes


@pytest.mark.parametrize("torchvision", ["FashionMNIST", "KMNIST"])
def test_download_of_another_idx_class_from_a_file_mirror(tmp_path, torchvision):
    """FashionMNIST and KMNIST ship the same four IDX file names as MNIST; torchvision keeps
    them in <root>/<class>/raw."""
    arrays = mnist_arrays(count=9, seed=4)
    md5 = write_mnist_mirror(tmp_path / "mirror", arrays)
    out, record = fetch(
        tmp_path, [url(tmp_path / "mirror")], md5, name="fashion", torchvision=torchvision
    )
    with np.load(out / "fashion.npz") as npz:
        for key, value in arrays.items():
            np.testing.assert_array_equal(npz[key], value)
    assert record["dataset"] == "fashion" and record["counts"] == {"train": 9, "test": 5}
    assert record["complete"] == {"train": False, "test": False}  # not the official 60,000
    assert json.loads((out / "fashion_manifest.json").read_text()) == record
    assert not (out / "scratch").exists()


def test_md5_of_an_idx_class_names_its_files(tmp_path):
    md5 = write_mnist_mirror(tmp_path / "mirror", mnist_arrays())
    md5.pop("t10k-labels-idx1-ubyte.gz")
    with pytest.raises(ValueError, match=r"datasets.fashion.md5 must list exactly .* KMNIST"):
        fetch(tmp_path, [url(tmp_path / "mirror")], md5, name="fashion", torchvision="KMNIST")


def test_unsupported_class_is_named_with_the_supported_ones(tmp_path):
    with pytest.raises(ValueError, match="'SVHN'; supported: MNIST, FashionMNIST, KMNIST"):
        fetch(tmp_path, ["file:///none/"], {"a": "0" * 32}, name="svhn", torchvision="SVHN")


# ------------------------------------------------------------------- shapes from the data


def test_an_import_takes_its_shape_from_the_data(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (7, 12, 10, 2), dtype=np.uint8)
    arrays = {
        "train_images": images,
        "train_labels": np.arange(7, dtype=np.uint8) * 30,  # any uint8 labels
        "test_images": images[:2],
        "test_labels": np.zeros(2, np.uint8),
    }
    np.savez_compressed(tmp_path / "own.npz", **arrays)
    facts = npz_facts(tmp_path / "own.npz")
    assert facts.train_count == 7 and facts.image_shape == (12, 10, 2) and facts.dimension == 240
    record = import_dataset("own", tmp_path / "own.npz", tmp_path / "o.npz", tmp_path / "o.json")
    assert record["shapes"]["train_images"] == [7, 12, 10, 2] and "complete" not in record
    arrays["test_images"] = images[:2, :, :8]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DatasetFileError, match=r"test_images has shape \(2, 12, 8, 2\), expected"):
        import_dataset("own", tmp_path / "bad.npz", tmp_path / "o.npz", tmp_path / "o.json")
    assert npz_facts(tmp_path / "missing.npz") is None


# ------------------------------------------------------------------------------- config


@pytest.fixture
def with_fashion(config, tmp_path):
    """The default config plus a FashionMNIST entry and an .npz import of 300 images 8 x 8."""
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (300, 8, 8), dtype=np.uint8)
    labels = np.zeros(300, np.uint8)
    np.savez(tmp_path / "own.npz", train_images=images, train_labels=labels,
             test_images=images[:3], test_labels=labels[:3])  # fmt: skip
    config["data_root"] = str(tmp_path)
    config["datasets"]["fashion"] = {
        "title": "Fashion-MNIST",
        "torchvision": "FashionMNIST",
        "mirrors": ["file:///mirror/"],
        "md5": {"train-images-idx3-ubyte.gz": "0" * 32},
        "subset": 1000,
    }
    config["datasets"]["own"] = {"import_npz": "{data_root}/own.npz", "subset": 200}
    config["linear"]["hidden"].update(fashion=32, own=32)
    config["linear"]["lr"].update(fashion="auto", own="auto")
    config["linear"]["sampled_noise"].update(datasets=["own"], subset=200)
    return config


def test_any_configured_dataset_passes_and_is_sized_from_its_data(with_fashion):
    assert config_problems(with_fashion, load_schema(SCHEMA), colours=False) == []
    facts = configured_facts(with_fashion)
    assert facts["fashion"].dimension == 784 and facts["fashion"].train_count == 60_000
    assert facts["own"].dimension == 64 and facts["own"].train_count == 300
    # sizes follow D and N, not the name: a dataset shaped like MNIST is sized like it
    mnist = limits.training_job_mem_mb("train_linear", "mnist", with_fashion, 60_000, 784)
    fashion = limits.training_job_mem_mb("train_linear", "fashion", with_fashion, 60_000, 784)
    assert mnist == fashion


def test_sizes_of_a_configured_dataset_are_checked_against_its_data(with_fashion):
    with_fashion["datasets"]["own"]["subset"] = 301
    with_fashion["linear"]["hidden"]["own"] = 65
    problems = config_problems(with_fashion, load_schema(SCHEMA), colours=False)
    assert "datasets.own.subset = 301: must be <= 300 (the own training-set size)" in problems
    assert "linear.hidden.own = 65: must be <= D = 64" in problems


def test_lr_from_the_command_line_is_a_number_or_auto(with_fashion):
    schema = load_schema(SCHEMA)
    with_fashion["linear"]["lr"].update(mnist="0.02", own="auto")  # --config hands strings
    coerce_config(with_fashion, schema)
    assert with_fashion["linear"]["lr"]["mnist"] == 0.02
    assert with_fashion["linear"]["lr"]["own"] == "auto"
    check_config(copy.deepcopy(with_fashion), SCHEMA, colours=False)
