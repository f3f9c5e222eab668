"""Config errors of the troubleshooting catalogue (case 6): one line per problem, naming the key."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import (
    CONFIG,
    SCHEMA,
)

from lindae.workflow.config import config_problems, load_schema


@pytest.fixture(scope="module")
def default():
    return yaml.safe_load(CONFIG.read_text())


CONFIG_CASES = {
    # case: (change, the exact line the user sees)
    "unknown-key-typo": (
        lambda c: c["linear"].update(epoch=10),
        "linear.epoch: unknown key (did you mean 'epochs'?); allowed keys here: algorithm, "
        "auto_lr_fraction, "
        "decay, dtype, epochs, hidden, init, init_scale, lr, noise, record_every, "
        "sampled_noise, seed",
    ),
    "wrong-type": (
        lambda c: c["linear"].update(epochs="many"),
        "linear.epochs = 'many': must be of type integer",
    ),
    "alpha-zero": (
        lambda c: c["linear"]["lr"].update(mnist=0),
        "linear.lr.mnist = 0: must be > 0 (learning rate (> 0), or auto (auto_lr_fraction x the "
        "stability bound))",
    ),
    "unsupported-torchvision-class": (
        lambda c: c["datasets"]["mnist"].update(torchvision="EMNIST"),
        "datasets.mnist.torchvision = 'EMNIST': must be one of 'MNIST', 'FashionMNIST', "
        "'KMNIST', 'CIFAR10', 'CIFAR100', None (the torchvision.datasets class that downloads it)",
    ),
    "dataset-name": (
        lambda c: c["datasets"].update(Fashion={"subset": 10}),
        "datasets.Fashion: not a valid name, must match ^[a-z][a-z0-9_]*$ (a configured dataset "
        "(a key of datasets))",
    ),
    "dataset-without-source": (
        lambda c: (
            c["datasets"].update(svhn={"subset": 10}),
            c["linear"]["hidden"].update(svhn=8),
            c["linear"]["lr"].update(svhn="auto"),
        ),
        "datasets.svhn: no source; set torchvision (the class that downloads it: MNIST, "
        "FashionMNIST, KMNIST, CIFAR10, CIFAR100), import_npz (a pre-extracted .npz) or "
        "image_folder (a folder with one sub-folder of images per class)",
    ),
    "dataset-with-two-sources": (
        lambda c: c["datasets"]["mnist"].update(image_folder="/data/mnist_png"),
        "datasets.mnist: two sources, torchvision = MNIST and image_folder; set torchvision to "
        "null to read the folder (exactly one of torchvision, import_npz or image_folder)",
    ),
    "unknown-preprocessing": (
        lambda c: c["datasets"]["cifar10"].update(preprocessing="whiten"),
        "datasets.cifar10.preprocessing = 'whiten': must be one of 'scale', 'center', "
        "'standardize' (how pixels become X: scale = / 255 (the paper's, uncentred); center = "
        "then minus each pixel's mean over the images used; standardize = then divided by each "
        "pixel's standard deviation (constant pixels stay 0))",
    ),
    "missing-hidden-of-a-dataset": (
        lambda c: c["datasets"].update(fashion={"subset": 10, "import_npz": "/data/f.npz"}),
        "linear.hidden.fashion: missing; every configured dataset needs its hidden units H "
        "(e.g. 64)",
    ),
    "lr-of-an-unknown-dataset": (
        lambda c: c["linear"]["lr"].update(svhn=0.1),
        "linear.lr.svhn: no dataset 'svhn' is configured (datasets: mnist, cifar10)",
    ),
    "noise-of-an-unknown-dataset": (
        lambda c: c["nonlinear"].update(noise_std={"mnist": 2.0, "cifar10": 3.0, "svhn": 1.0}),
        "nonlinear.noise_std.svhn: no dataset 'svhn' is configured (datasets: mnist, cifar10)",
    ),
    "noise-missing-for-a-fig6-dataset": (
        lambda c: c["nonlinear"].update(noise_std={"mnist": 2.0}),
        "nonlinear.noise_std.cifar10: missing; Fig. 6 trains the ReLU models on cifar10",
    ),
    "noise-below-zero-for-a-dataset": (
        lambda c: c["nonlinear"].update(noise_std={"mnist": 2.0, "cifar10": -3.0}),
        "nonlinear.noise_std.cifar10 = -3.0: must be >= 0 (DAE input-noise std of one dataset "
        "(>= 0))",
    ),
    "lr-word": (
        lambda c: c["linear"]["lr"].update(mnist="fast"),
        "linear.lr.mnist = 'fast': 'fast' does not match '^auto$' (learning rate (> 0), or auto "
        "(auto_lr_fraction x the stability bound))",
    ),
    "auto-lr-fraction": (
        lambda c: c["linear"].update(auto_lr_fraction=1.0),
        "linear.auto_lr_fraction = 1.0: must be < 1 (lr: auto = this fraction of the smallest "
        "AE/WDAE/DAE stability bound)",
    ),
    "sampled-noise-on-an-unknown-dataset": (
        lambda c: c["linear"]["sampled_noise"].update(datasets=["svhn"]),
        "linear.sampled_noise.datasets: 'svhn' is not a configured dataset (datasets: mnist, "
        "cifar10)",
    ),
    "torchvision-without-md5": (
        lambda c: (
            c["datasets"].update(
                fashion={"subset": 10, "torchvision": "FashionMNIST", "mirrors": ["file:///m/"]}
            ),
            c["linear"]["hidden"].update(fashion=64),
            c["linear"]["lr"].update(fashion="auto"),
        ),
        "datasets.fashion.md5: missing; give the md5 of every file torchvision's FashionMNIST "
        "downloads (verified after each download)",
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
