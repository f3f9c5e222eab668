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
