"""Config validation: bad values stop the run before any job, naming the key and what is allowed."""

import pytest
from conftest import SCHEMA, snakemake, write_yaml

from lindae.workflow.config import ConfigError, check_config, config_problems, load_schema


@pytest.fixture(scope="module")
def schema():
    return load_schema(SCHEMA)


def test_shipped_config_is_valid(config, schema):
    assert config_problems(config, schema) == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c["fig1"].update(lr=-0.01), ["fig1.lr = -0.01", "must be > 0"]),
        (lambda c: c["fig2"].update(lr=0), ["fig2.lr = 0", "must be > 0"]),
        (
            lambda c: c.update(variants=["faithful", "fancy"]),
            ["variants[1] = 'fancy'", "'faithful', 'corrected'"],
        ),
        (lambda c: c["fig3"].update(lam="one"), ["fig3.lam = 'one'", "type number"]),
        (
            lambda c: c["fig2"].update(noise_levels=[]),
            ["fig2.noise_levels = []", "at least 1 item"],
        ),
        (
            lambda c: c["fig1"].update(noise_levels=[0.0, -1.0]),
            ["fig1.noise_levels[1] = -1.0", "must be >= 0"],
        ),
        (lambda c: c["fig4"].update(epochs=2.5), ["fig4.epochs = 2.5", "type integer"]),
        (lambda c: c.update(device="tpu"), ["device = 'tpu'", "'auto', 'cpu', 'cuda'"]),
        (
            lambda c: c["fig3"].update(corrected_wdae_rule="fast"),
            ["fig3.corrected_wdae_rule = 'fast'", "'hessian', 'notebook'"],
        ),
        (
            lambda c: c["fig1"].update(learning_rate=0.1),
            ["fig1.learning_rate: unknown key", "allowed keys here"],
        ),
        (
            lambda c: c["fig3"]["rate_grid"].update(start=5.0, stop=1.0),
            ["fig3.rate_grid", "must be above start"],
        ),
        (
            lambda c: c["datasets"]["mnist"].update(subset=70000),
            ["datasets.mnist.subset = 70000: must be <= 60000"],
        ),
        (
            lambda c: c["linear"]["hidden"].update(mnist=1000),
            ["linear.hidden.mnist = 1000: must be <= D = 784"],
        ),
        (
            lambda c: c["linear"]["lr"].update(cifar10=-0.001),
            ["linear.lr.cifar10 = -0.001", "must be > 0"],
        ),
        (lambda c: c["linear"].update(noise=-0.5), ["linear.noise = -0.5", "must be >= 0"]),
        (lambda c: c["fig5"].update(modes=[1, 600]), ["fig5.modes", "must be <= linear.hidden"]),
        (
            lambda c: c["datasets"]["mnist"].update(mirrors=["ftp://x/"]),
            ["datasets.mnist.mirrors[0] = 'ftp://x/'"],
        ),
    ],
    ids=[
        "negative-lr",
        "zero-lr",
        "unknown-variant",
        "string-number",
        "empty-grid",
        "negative-noise",
        "float-epochs",
        "unknown-device",
        "unknown-rule",
        "unknown-key",
        "empty-rate-grid",
        "subset-too-large",
        "hidden-above-D",
        "negative-linear-lr",
        "negative-noise-variance",
        "mode-above-H",
        "bad-mirror-scheme",
    ],
)
def test_bad_values_are_named_with_what_is_allowed(config, schema, mutate, expected):
    mutate(config)
    message = "\n".join(config_problems(config, schema))
    for fragment in expected:
        assert fragment in message, message


def test_typo_gets_a_suggestion(config, schema):
    config["fig2"]["epoch"] = config["fig2"].pop("epochs")
    message = "\n".join(config_problems(config, schema))
    assert "did you mean 'epochs'?" in message
    assert "fig2: 'epochs' is a required property" in message


def test_all_problems_reported_at_once(config):
    config["fig1"]["lr"] = -1
    config["fig4"]["noise"] = -0.1
    with pytest.raises(ConfigError) as raised:
        check_config(config, SCHEMA)
    assert "fig1.lr" in str(raised.value) and "fig4.noise" in str(raised.value)
    assert "nothing was run" in str(raised.value)


@pytest.mark.parametrize(
    "override, fragment",
    [
        ({"fig1": {"lr": -0.01}}, "fig1.lr = -0.01: must be > 0"),
        ({"variants": ["fancy"]}, "variants[0] = 'fancy': must be one of"),
        ({"fig2": {"lr": "fast"}}, "fig2.lr = 'fast': must be of type number"),
        ({"fig3": {"noise_levels": []}}, "fig3.noise_levels = []: must have at least 1 item"),
    ],
    ids=["negative-lr", "unknown-variant", "string-number", "empty-grid"],
)
def test_workflow_stops_before_any_job(tmp_path, override, fragment):
    bad = write_yaml(tmp_path / "bad.yaml", override)
    result = snakemake(tmp_path, "--cores", "1", configs=(bad,), check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert fragment in output, output
    assert "Building DAG of jobs" not in output
    assert not (tmp_path / "results").exists()
