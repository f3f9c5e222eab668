"""Config validation: bad values stop the run before any job, naming the key and what is allowed.

Also (issue 13): keys given twice in a config file, NaN and +-inf, seeds beyond the generators'
range, ``--config`` strings, values that only make sense together, oversized settings and the
memory each job asks for, and the ``make`` options.
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml
from conftest import CONFIG, ROOT, SCHEMA, snakemake, write_yaml

import lindae.workflow.config as checks
from lindae.scalar import gradient_descent, legacy_uniform_inits
from lindae.workflow.config import ConfigError, check_config, config_problems, load_schema

# The checks added for issue 13 (lindae.limits, checks.coerce_config, checks.config_file_problems)
# are imported where used: on the code before them, these tests fail one by one, not at import.


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
    assert 'File "' not in output and "Traceback" not in output, output  # one clear message
    assert not (tmp_path / "results").exists()


# --- the shipped files ---------------------------------------------------------------------


def _merged(*overlays):
    config = yaml.safe_load(CONFIG.read_text())

    def merge(base, changes):
        for key, value in changes.items():
            if isinstance(value, dict):
                merge(base.setdefault(key, {}), value)
            else:
                base[key] = value

    for overlay in overlays:
        merge(config, yaml.safe_load((ROOT / "config" / overlay).read_text()))
    return config


@pytest.mark.parametrize("overlays", [(), ("quick.yaml",), ("offline.yaml",)], ids=str)
def test_shipped_presets_are_valid(schema, overlays):
    config = _merged(*overlays)
    assert config_problems(config, schema) == []
    before = json.dumps(config)
    checks.coerce_config(config, schema)
    assert json.dumps(config) == before  # nothing converted: the paper's jobs see the same


def test_shipped_config_files_give_each_key_once():
    assert checks.config_file_problems(sorted((ROOT / "config").glob("*.yaml"))) == []


# --- finding 3: a key given twice ----------------------------------------------------------


def test_duplicate_keys_are_named_with_file_and_line(tmp_path):
    overlay = tmp_path / "my.yaml"
    overlay.write_text(
        "fig1:\n  lr: 0.01\n  epochs: 10\n  lr: 0.02\nfig2:\n  lr: 0.001\nfig1:\n  runs: 3\n"
    )
    assert checks.config_file_problems([overlay]) == [
        f"{overlay}, line 4: duplicate key fig1.lr (first given at line 2); YAML would keep "
        "only the later one: give each key once (merge the two)",
        f"{overlay}, line 7: duplicate key fig1 (first given at line 1); YAML would keep "
        "only the later one: give each key once (merge the two)",
    ]


def test_duplicate_keys_in_json_and_in_lists(tmp_path):
    flow = tmp_path / "flow.json"
    flow.write_text('{"fig1": {"lr": 0.1,\n "lr": 0.2}}')
    assert [p.split(": duplicate")[0] for p in checks.config_file_problems([flow])] == [
        f"{flow}, line 2"
    ]
    tabs = tmp_path / "tabs.json"  # JSON that YAML cannot read (tab indentation)
    tabs.write_text('{\n\t"fig1": {"lr": 0.1, "lr": 0.2}\n}')
    assert "duplicate key 'lr'" in checks.config_file_problems([tabs])[0]
    listed = tmp_path / "listed.yaml"
    listed.write_text("fig5:\n  modes:\n  - {a: 1, a: 2}\n")
    assert "duplicate key fig5.modes[0].a " in checks.config_file_problems([listed])[0]


def test_duplicate_keys_stop_the_workflow_before_any_job(tmp_path):
    overlay = tmp_path / "my.yaml"
    overlay.write_text("fig1:\n  lr: 0.02\nfig1:\n  epochs: 10\n")
    result = snakemake(tmp_path, "-n", configs=(overlay,), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"{overlay}, line 3: duplicate key fig1 (first given at line 1)" in output, output
    assert "Building DAG of jobs" not in output and "Traceback" not in output


# --- finding 4: NaN and +-inf --------------------------------------------------------------


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            lambda c: c["fig1"].update(lam=math.nan),
            "fig1.lam = nan: must be a finite number in [1e-06, 1e+06] (eigenvalue lambda, "
            "in [1e-6, 1e6])",
        ),
        (lambda c: c["fig2"].update(lr=math.inf), "fig2.lr = inf: must be a finite number > 0"),
        (
            lambda c: c["fig1"].update(lr=-math.inf),
            "fig1.lr = -inf: must be a finite number in (0, 0.1]",
        ),
        (
            lambda c: c["linear"].update(decay=math.nan),
            "linear.decay = nan: must be a finite number in [0, 1e+06] (WDAE weight decay",
        ),
        (
            lambda c: c["fig2"].update(noise_levels=[0.0, math.nan]),
            "fig2.noise_levels[1] = nan: must be a finite number in [0, 1e+06]",
        ),
        (
            lambda c: c["claims"].update(coincide=math.inf),
            "claims.coincide = inf: must be a finite number > 0",
        ),
        (
            lambda c: c["style"].update(corrected_min_alpha=math.nan),
            "style.corrected_min_alpha = nan: must be a finite number in [0, 1]",
        ),
        (
            lambda c: c["fig3"]["rate_grid"].update(step=math.inf),
            "fig3.rate_grid.step = inf: must be a finite number > 0",
        ),
        (
            lambda c: c["fig4"].update(epochs=math.nan),
            "fig4.epochs = nan: must be a finite integer in [1, 1000000]",
        ),
    ],
    ids=["nan-lam", "inf-lr", "minus-inf", "nan-decay", "nan-item", "inf-threshold",
         "nan-alpha", "inf-step", "nan-integer"],
)  # fmt: skip
def test_non_finite_numbers_are_rejected(config, schema, mutate, expected):
    mutate(config)
    problems = config_problems(config, schema)
    assert any(p.startswith(expected) for p in problems), problems
    assert len(problems) == 1, problems  # one line, not also the range checks it fails


def test_nan_stops_the_workflow_before_any_job(tmp_path):
    overlay = tmp_path / "nan.yaml"
    overlay.write_text("fig1:\n  lam: .nan\nfig2:\n  lr: .inf\n")
    result = snakemake(tmp_path, "-n", configs=(overlay,), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "fig1.lam = nan: must be a finite number" in output, output
    assert "fig2.lr = inf: must be a finite number > 0" in output, output


# --- finding 9: seeds and strings ----------------------------------------------------------


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            lambda c: c["linear"].update(seed=2**32),
            "linear.seed = 4294967296: must be <= 4294967295 (generator seed, 0 <= seed < "
            "2**32 (numpy's and torch's range))",
        ),
        (lambda c: c["nonlinear"].update(seed=2**64), "nonlinear.seed = 18446744073709551616"),
        (
            lambda c: c["linear"]["sampled_noise"].update(seed=2**40),
            "linear.sampled_noise.seed = 1099511627776: must be <= 4294967295",
        ),
        (
            lambda c: c["fig1"].update(seed_stride=2**29),
            "fig1.seed_stride = 536870912: the last run's seed 4831838208 is beyond numpy's "
            "seed range (0 <= seed < 2**32) with fig1.runs = 10; use seed_stride <= 477218588",
        ),
        (
            lambda c: c["fig4"].update(seed_stride=2**30, random_runs=4),
            "fig4.seed_stride = 1073741824: the last run's seed 4294967296",
        ),
    ],
    ids=["linear", "nonlinear", "sampled", "fig1-stride", "fig4-stride"],
)
def test_seeds_stay_within_the_generators_range(config, schema, mutate, expected):
    mutate(config)
    problems = config_problems(config, schema)
    assert any(p.startswith(expected) for p in problems), problems


def test_config_strings_are_converted_where_unambiguous(config, schema):
    """What Snakemake hands over for nested --config values (YAML BaseLoader: strings)."""
    config["nonlinear"].update(epochs="10", lr="0.5", seed=" 7 ")
    config["fig2"].update(lams=["1", "2.5"], lr="1e-3", show_dropped_lam="true")
    config["figures"] = ["1", "2"]
    config["linear"]["sampled_noise"]["enabled"] = "false"
    config["datasets"]["mnist"]["import_npz"] = "null"
    config["fig1"]["epochs"] = 200.0  # 2.0e2 in a YAML file
    checks.coerce_config(config, schema)
    assert config["nonlinear"]["epochs"] == 10 and type(config["nonlinear"]["epochs"]) is int
    assert (config["nonlinear"]["lr"], config["nonlinear"]["seed"]) == (0.5, 7)
    assert config["fig2"]["lams"] == [1, 2.5] and config["fig2"]["lr"] == 1e-3
    assert config["fig2"]["show_dropped_lam"] is True and config["figures"] == [1, 2]
    assert config["linear"]["sampled_noise"]["enabled"] is False
    assert config["datasets"]["mnist"]["import_npz"] is None
    assert type(config["fig1"]["epochs"]) is int
    assert config_problems(config, schema) == []
    # what means no value of the expected type stays, for the schema to name
    config["fig1"].update(lr="fast", runs="2.5")
    config["style"]["colors"]["ae"] = "1"  # a colour may be text: left alone
    checks.coerce_config(config, schema)
    assert config["style"]["colors"]["ae"] == "1"
    problems = config_problems(config, schema)
    assert "fig1.lr = 'fast': must be of type number (GD step alpha" in problems[0], problems
    assert problems[1].startswith("fig1.runs = '2.5': must be of type integer"), problems


def test_nested_config_values_reach_the_plan(tmp_path):
    """`--config 'nonlinear={epochs: 10}'` and friends plan the jobs (no type errors)."""
    result = snakemake(
        tmp_path,
        "-n",
        "fig2",
        "--config",
        "nonlinear={epochs: 10, record_every: 5}",
        'fig2={lams: [1, 2.5], epochs: "500"}',
        "linear={sampled_noise: {enabled: false}}",
        "figures=[1,2]",
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "fig2_data" in output, output
    wrong = snakemake(tmp_path, "-n", "--config", "fig1={lr: fast}", check=False)
    output = wrong.stdout + wrong.stderr
    assert wrong.returncode != 0
    assert "fig1.lr = 'fast': must be of type number" in output, output
    assert "Traceback" not in output, output


# --- values that only make sense together --------------------------------------------------


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            lambda c: c["datasets"]["mnist"].update(subset=20),
            "fig5.modes = [1, 4, 8, 16, 32]: mode 32 is beyond the rank of the mnist data "
            "(datasets.mnist.subset = 20 images span at most 20 eigen-directions); use modes "
            "<= 20 or a larger subset",
        ),
        (
            lambda c: c["linear"]["sampled_noise"].update(subset=16),
            "fig5.modes = [1, 4, 8, 16, 32]: mode 32 is beyond the rank of the 16 images of "
            "linear.sampled_noise.subset",
        ),
        (
            lambda c: c["nonlinear"]["hidden"].update(cifar10=3),
            "nonlinear.modes = 4: must be <= nonlinear.hidden.cifar10 = 3 and <= "
            "datasets.cifar10.subset = 30000",
        ),
        (
            lambda c: c["linear"].update(record_every=6000),
            "linear.record_every = 6000: must be <= linear.epochs = 5000 (epochs between "
            "records; a longer interval records only the start of the run)",
        ),
        (
            lambda c: c["linear"]["sampled_noise"].update(epochs=50),
            "linear.record_every = 100: must be <= linear.sampled_noise.epochs = 50",
        ),
        (
            lambda c: c["nonlinear"].update(record_every=3000),
            "nonlinear.record_every = 3000: must be <= nonlinear.epochs = 2000",
        ),
        (
            lambda c: c["style"]["colors"].update(wdae="ornage"),
            "style.colors.wdae = 'ornage': not a colour matplotlib knows (did you mean "
            "'orange'?); use a colour name ('blue', 'tab:blue', 'xkcd:sky blue') or a hex code",
        ),
        (
            lambda c: c.update(results_dir="results/"),
            "results_dir = 'results/': use 'results' (Snakemake matches files by their path",
        ),
        (lambda c: c.update(results_dir="./out"), "results_dir = './out': use 'out'"),
        (lambda c: c.update(results_dir="a//b"), "results_dir = 'a//b': use 'a/b'"),
        (
            lambda c: c.update(results_dir="res{x}"),
            "results_dir = 'res{x}': must not contain { or } (Snakemake reads them as "
            "wildcards)",
        ),
        (
            lambda c: c.update(results_dir="~/res"),
            "results_dir = '~/res': '~' is not expanded (a folder named '~' would be created)",
        ),
        (lambda c: c.update(results_dir="."), "results_dir = '.': must name a folder"),
        (lambda c: c.update(results_dir=" results"), "results_dir = ' results': must not"),
    ],
    ids=["modes-rank", "sampled-rank", "nonlinear-modes", "record-linear", "record-sampled",
         "record-nonlinear", "colour", "trailing-slash", "dot-slash", "double-slash",
         "wildcard", "tilde", "dot", "space"],
)  # fmt: skip
def test_values_that_only_make_sense_together(config, schema, mutate, expected):
    mutate(config)
    problems = config_problems(config, schema)
    assert any(p.startswith(expected) for p in problems), problems


def test_colours_are_checked_only_where_matplotlib_is_installed(config, schema, monkeypatch):
    config["style"]["colors"]["ae"] = "nocolour"
    assert config_problems(config, schema, colours=False) == []
    monkeypatch.setitem(sys.modules, "matplotlib.colors", None)  # import fails: not installed
    assert config_problems(config, schema) == []


def test_checking_needs_neither_numpy_nor_matplotlib():
    """Parsing runs these checks with Snakemake alone: the library must not load numpy,
    pandas or matplotlib for them (colours are skipped without matplotlib)."""
    code = (
        "import sys, yaml\n"
        "from lindae.workflow.config import config_problems, load_schema\n"
        f"config = yaml.safe_load(open({str(CONFIG)!r}))\n"
        f"assert config_problems(config, load_schema({str(SCHEMA)!r}), colours=False) == []\n"
        "loaded = [m for m in ('numpy', 'pandas', 'matplotlib') if m in sys.modules and "
        "type(sys.modules[m]).__name__ == 'module' and hasattr(sys.modules[m], '__file__')]\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('numpy', 'pandas', 'matplotlib') and '.' in m))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout  # no submodule of them was imported


# --- finding 8: oversized settings and the memory jobs ask for -----------------------------


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            lambda c: c["fig3"]["rate_grid"].update(step=1e-9),
            "fig3.rate_grid.step = 1e-09: the fig3 tables would have 3e+10 rows "
            "(~12,000,540 MB to build); a job may use at most 16,000 MB: use step >= 7.76e-07",
        ),
        (
            lambda c: c["fig2"].update(epochs=1000000),
            "fig2.epochs = 1000000: the fig2 tables would have 6e+07 rows (~24,300 MB to "
            "build); a job may use at most 16,000 MB: use epochs <= 654166",
        ),
        (
            lambda c: c["linear"].update(epochs=1000000, record_every=1),
            "linear.record_every = 1: the train_linear record on mnist would need ~34,681 MB; "
            "a job may use at most 16,000 MB: use record_every >= 3 (or fewer epochs)",
        ),
        (
            lambda c: (
                c["linear"].update(epochs=1000000),
                c["fig5"].update(modes=[1, 2, 4, 8, 16, 32, 64, 128]),
            ),
            "linear.epochs = 1000000: the fig5 tables draw the theory at every epoch "
            "(~19,885 MB to build); a job may use at most 16,000 MB: train fewer epochs",
        ),
        (
            lambda c: c["fig2"].update(lams=[1.0 + k for k in range(120)], epochs=100),
            "fig2.lams = [1.0, 2.0, ..., 120.0] (120 values): 120 columns at style.dpi = 150 "
            "make a 72000-pixel-wide PNG, more than matplotlib draws (65535); use at most 109 "
            "columns or a lower style.dpi",
        ),
    ],
    ids=["rate-grid", "fig2-epochs", "linear-record", "fig5-theory", "png-width"],
)
def test_oversized_settings_are_refused_with_the_key(config, schema, mutate, expected):
    mutate(config)
    problems = config_problems(config, schema)
    assert any(p.startswith(expected) for p in problems), problems


def test_size_estimates_cover_the_tables_built(config):
    """The estimates bound the rows the figures build (the defaults' fig1 and fig4 are cheap;
    fig2 and fig3 are computed on shorter runs of the same shape)."""
    from lindae import limits
    from lindae.figures import REGISTRY

    config["fig2"].update(epochs=300)
    config["fig3"].update(epochs=300)
    for stem in ("fig1", "fig2", "fig3", "fig4"):
        figure = REGISTRY[stem]
        settings = figure.settings(config)
        for variant in ("faithful", "corrected"):
            built = {k: len(v) for k, v in figure.tables({}, settings, variant).items()}
            estimate = limits.table_rows(stem, settings, variant)
            for name, rows in built.items():
                assert rows <= estimate[name] <= 2 * rows + 20_000, (stem, variant, name)


def test_job_memory_follows_the_settings(config):
    from lindae import limits

    paper = {stem: limits.data_job_mem_mb(stem, config) for stem in ("fig1", "fig2", "fig3")}
    assert max(paper.values()) <= 1000  # the rules' measured floor: the paper's jobs unchanged
    config["fig2"]["epochs"] = 60000
    assert limits.data_job_mem_mb("fig2", config) == 300 + 3 * 10 * 2 * 60000 * 400 // 10**6
    mnist = (60_000, 784)  # training images, D
    assert limits.training_job_mem_mb("train_linear", "mnist", config, *mnist) == 1500
    config["linear"].update(epochs=100000, record_every=1)
    assert limits.training_job_mem_mb("train_linear", "mnist", config, *mnist) > 3000
    config["style"]["dpi"] = 1200
    assert limits.plot_job_mem_mb("fig1", config) > 2000  # a 24000 x 12000 PNG


def test_rules_ask_for_the_estimated_memory(tmp_path):
    result = snakemake(
        tmp_path, "-n", "fig2", "--config", "fig2={epochs: 60000}", "style={dpi: 1200}"
    )
    output = result.stdout + result.stderr
    sizes = re.findall(r"Fig. 2 \((\w+)\): tables and notes \[threads=1, mem_mb=(\d+)", output)
    assert sizes and {int(mem) for _, mem in sizes} == {1740}, output
    plots = re.findall(r"fig2\S* \(\w+\): drawing PDF and PNG \[threads=1, mem_mb=(\d+)", output)
    assert plots and all(int(mem) > 1740 for mem in plots), output


# --- Figs 1 and 4: gradient descent that stays finite --------------------------------------


def test_pure_python_inits_equal_numpys():
    from lindae import limits

    seeds = [0, 2, 18, 2**31, 2**32 - 1]
    w1, w2 = legacy_uniform_inits(seeds, 2.0)
    assert [limits.legacy_uniform_pair(s, 2.0) for s in seeds] == list(zip(w1, w2, strict=True))


@pytest.mark.parametrize(
    "lam, noise, decay, lr",
    [(1.0, 5.0, 0.0, 0.12), (1.0, 5.0, 0.0, 0.13), (1.0, 0.0, 0.09, 0.5), (10.0, 0.0, 0.0, 0.07)],
)
def test_descent_check_agrees_with_the_descent(lam, noise, decay, lr):
    """Where numpy's descent overflows, the check says so; where it stays finite, too."""
    from lindae import limits

    inits = limits.scalar_inits([2 * k for k in range(10)], 2.0)
    w1, w2 = np.array(inits).T
    with np.errstate(all="ignore"):
        run = gradient_descent(w1, w2, lam, noise, decay, lr, 2000)
    finite = bool(np.isfinite(run.w1).all() and np.isfinite(run.w2).all())
    finite &= bool(np.abs(run.w1).max() < limits.BLOWUP)
    assert (limits.descent_divergence(inits, lam, noise, decay, lr, 2000) is None) == finite


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (
            lambda c: c["fig1"].update(lr=0.1, noise_levels=[0.0, 5.0, 50.0]),
            "fig1.lr = 0.1: gradient descent diverges (run 1 at epoch 3, noise level 50, lam = 1); "
            "steps up to 0.00218 are stable from any init in [-2, 2]: lower fig1.lr (or "
            "fig1.init_range, fig1.epochs)",
        ),
        (
            lambda c: c["fig4"].update(lam=1000.0),
            "fig4.lr = 0.01: gradient descent diverges (run 1 at epoch 3, noise row, lam = 1000)",
        ),
        (
            lambda c: (
                c["fig1"].update(lam=8.0, lr=0.05, noise_levels=[0.0], epochs=100000),
                c.update(variants=["corrected"]),
            ),
            "fig1.lr = 0.05: gradient descent could not be shown to stay finite (run 1, noise "
            "level 0, lam = 8); steps up to 0.00988 are stable from any init in [-2, 2]",
        ),
        (
            lambda c: c["fig1"].update(epochs=100000),
            "fig1.epochs = 100000: the authors' closed form S11 (faithful Fig. 1) overflows "
            "after epoch 3260 with fig1.lr = 0.01 and fig1.lam = 1; use fig1.epochs <= 3261",
        ),
    ],
    ids=["fig1-lr", "fig4-lam", "not-shown", "fig1-s11"],
)
def test_settings_whose_descent_overflows_are_refused(config, schema, mutate, expected):
    mutate(config)
    problems = config_problems(config, schema)
    assert any(p.startswith(expected) for p in problems), problems


def test_the_corrected_fig1_alone_draws_long_runs(config, schema):
    """Only the authors' closed form overflows: the corrected rendering has no limit; and a
    descent that oscillates but stays finite is simulated to its end, not refused."""
    config["fig1"]["epochs"] = 100000
    config["variants"] = ["corrected"]
    assert config_problems(config, schema) == []
    config["fig1"].update(lam=8.0, lr=0.05, noise_levels=[0.0], epochs=200)
    assert config_problems(config, schema) == []


# --- make options with spaces and lists ----------------------------------------------------


@pytest.fixture
def make_checkout(tmp_path):
    """A copy of the Makefile and config whose .venv holds a snakemake that records its
    arguments (one per line, `---` after each call) instead of running."""
    if shutil.which("make") is None:
        pytest.skip("no make")
    checkout = tmp_path / "checkout"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    for name in ("Makefile", "requirements.txt", "requirements-slurm.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, checkout / name)
    shutil.copytree(ROOT / "config", checkout / "config")
    fake = checkout / ".venv" / "bin" / "snakemake"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" --- >> "$(dirname "$0")/../../calls.txt"\n')
    fake.chmod(0o755)
    (checkout / ".venv" / ".installed").touch()  # newer than requirements.txt: no install
    return checkout


def _make(checkout, *args):
    return subprocess.run(
        ["make", "--no-print-directory", "figures", *args],
        capture_output=True,
        text=True,
        cwd=checkout,
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "LINDAE_DATA")},
    )


def test_make_passes_data_paths_with_spaces_and_figure_lists(make_checkout, tmp_path):
    data = tmp_path / "my data"
    data.mkdir()
    result = _make(make_checkout, f"DATA={data}", "FIGURES=1 2")
    assert result.returncode == 0, result.stderr
    calls = (make_checkout / "calls.txt").read_text().split("---\n")[:-1]
    assert len(calls) == 2  # the run, then the report
    for call in calls:
        args = call.splitlines()
        config = args[args.index("--config") + 1 :]
        assert config[:2] == [f"data_root={data}", "figures=[1,2]"], args
        assert "config/offline.yaml" in args
    (make_checkout / "calls.txt").unlink()
    assert _make(make_checkout, "FIGURES=[1,4]", "PRESET=quick").returncode == 0
    args = (make_checkout / "calls.txt").read_text().split("---\n")[0].splitlines()
    assert args[-1] == "figures=[1,4]" and "config/quick.yaml" in args


@pytest.mark.parametrize(
    "option, message",
    [
        ("DATA=/no/such folder", "make: DATA='/no/such folder' is not a folder"),
        ("DATA=/tmp/it's", "make: DATA=/tmp/it's: a path holding a single quote cannot be"),
        ("PRESET=fast", "make: PRESET=fast: there is no config/fast.yaml; presets: quick"),
        ("FIGURES=1 two", "make: FIGURES=1 two: list figure numbers 1-6, e.g. FIGURES=1,2,3,4"),
    ],
    ids=["missing-data", "quote", "preset", "figures"],
)
def test_make_options_fail_with_one_clear_line(make_checkout, option, message):
    result = _make(make_checkout, option)
    assert result.returncode != 0
    assert result.stderr.startswith(message), result.stderr
    assert not (make_checkout / "calls.txt").exists()  # Snakemake never started
