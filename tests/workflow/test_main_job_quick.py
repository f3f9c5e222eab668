"""End to end with the quick preset (config/quick.yaml): the main job and its report.

Synthetic images with roughly the real datasets' brightness stand in for MNIST and CIFAR-10
(imported through `import_npz`), so the preset runs as a user would run it: the default target
(all six figures, claims, provenance), then the report, which is also opened in headless
Chromium. To keep CI within its budget, a last layer (SMALLER) trains on fewer images and
epochs: every job, file and claim row of the preset is still made, in a fraction of the
time (the preset's own run time is measured in docs/running.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, snakemake, synthetic_dataset, write_yaml

from lindae.io import load_record

pytestmark = pytest.mark.workflow

QUICK = yaml.safe_load((ROOT / "config" / "quick.yaml").read_text())
# The preset on less data and fewer epochs (training cost is about linear in both).
SMALLER = {
    "device": "cpu",  # the records below state it
    "datasets": {"mnist": {"subset": 1000}, "cifar10": {"subset": 500}},
    "linear": {"epochs": 800, "sampled_noise": {"subset": 500, "epochs": 400}},
    "nonlinear": {"epochs": 100},
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, paper_figures_1_to_4):
    workdir = tmp_path_factory.mktemp("quick")
    # Figs 1-4 of the preset are the paper's: start from the finished run of those targets
    # (same code, same settings; its results and Snakemake's records of them, times kept), so
    # the main job below builds everything else and finds them up to date, as it would for a
    # user who ran `make figures FIGURES=1,2,3,4` first.
    shutil.copytree(paper_figures_1_to_4 / "results", workdir / "results")
    metadata = paper_figures_1_to_4 / ".snakemake" / "metadata"
    shutil.copytree(metadata, workdir / ".snakemake" / "metadata")
    # sparse templates: a decaying spectrum with a dominant mean mode, like real images
    brightness = {"mnist": 0.15, "cifar10": 0.5}
    overrides = {"data_root": str(workdir), "datasets": {}}
    for seed, name in enumerate(brightness):
        count = SMALLER["datasets"][name]["subset"]
        arrays = synthetic_dataset(
            name, count, seed, templates=8, concentration=0.5, brightness=brightness[name]
        )
        np.savez(workdir / f"{name}.npz", **arrays)
        overrides["datasets"][name] = {"import_npz": "{data_root}/" + f"{name}.npz"}
    imports = write_yaml(workdir / "imports.yaml", overrides)
    smaller = write_yaml(workdir / "smaller.yaml", SMALLER)
    configs = (ROOT / "config" / "quick.yaml", smaller, imports)
    snakemake(workdir, "--cores", "2", configs=configs)  # the main job: default target
    snakemake(workdir, "--report", "results/report.html", configs=configs)
    workdir.joinpath("configs.json").write_text(json.dumps([str(c) for c in configs]))
    return workdir


def _configs(run_dir):
    return tuple(Path(p) for p in json.loads((run_dir / "configs.json").read_text()))


def test_every_figure_and_claim_row_is_present(run_dir):
    results = run_dir / "results"
    for figure in range(1, 7):
        for stem in (f"fig{figure}", f"fig{figure}_corrected"):
            for ending in (".pdf", ".png", ".csv", "_notes.json"):
                assert (results / "figures" / f"{stem}{ending}").stat().st_size > 200
    table = pd.read_csv(results / "claims.csv")
    present = set(zip(table.figure.astype(str), table.variant, strict=True))
    expected = {(str(f), v) for f in (1, 2, 3, 4, 6) for v in ("faithful", "corrected")}
    assert present == expected | {("5", "corrected")}
    assert "data_readable" not in set(table.claim_id)  # every check could run on its data
    # Figs 1-4 need no data, so their claims are those of the real run and must all hold.
    data_free = table[table.figure.astype(str).isin(["1", "2", "3", "4"])]
    assert data_free.passed.all(), data_free[~data_free.passed]


def test_rerunning_the_main_job_runs_no_job(run_dir):
    result = snakemake(run_dir, "--cores", "2", "--dry-run", configs=_configs(run_dir))
    assert "Nothing to be done" in result.stdout + result.stderr


RELU_JOB = re.compile(r"Training the ReLU (\w+) on (\w+) ")


@pytest.mark.parametrize(
    ("change", "retrained"),
    [
        ({"noise_std": {"mnist": 2.0, "cifar10": 3.0}}, {("DAE", "cifar10")}),
        ({"noise_std": 1.0}, {("DAE", "mnist"), ("DAE", "cifar10")}),
        ({"weight_decay": 0.01}, {("WDAE", "mnist"), ("WDAE", "cifar10")}),
    ],
    ids=["noise-of-one-dataset", "noise", "weight-decay"],
)
def test_a_regulariser_change_retrains_only_the_models_it_concerns(run_dir, change, retrained):
    """Each ReLU job depends on its own model's noise and decay (the AE on neither), and on its
    own dataset's entry of a per-dataset noise_std."""
    override = write_yaml(run_dir / "regulariser.yaml", {"nonlinear": change})
    result = snakemake(run_dir, "--cores", "2", "-n", configs=(*_configs(run_dir), override))
    planned = set(RELU_JOB.findall(result.stdout + result.stderr))
    assert planned == retrained, result.stdout


def test_provenance_record(run_dir):
    record = json.loads((run_dir / "results" / "provenance.json").read_text())
    assert set(record) >= {"git", "packages", "config_sha256", "device", "seeds", "host", "stages"}
    assert record["packages"]["snakemake"] and record["packages"]["torch"]
    assert record["seeds"]["nonlinear.seed"] == QUICK.get("nonlinear", {}).get("seed", 2018)
    assert {"figure_data", "train_linear", "train_nonlinear"} <= set(record["stages"])
    assert all(stage["seconds"] >= 0 for stage in record["stages"].values())
    assert set(record["training_runs"]) >= {"nonlinear/mnist_DAE", "linear/cifar10_WDAE"}
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    if commit:
        assert record["git"]["commit"] == commit


def test_report_holds_every_figure(run_dir):
    html = (run_dir / "results" / "report.html").read_text()
    for figure in range(1, 7):
        assert f"Fig. {figure}" in html
        assert f"fig{figure}.png" in html and f"fig{figure}_corrected.png" in html
    for name in ("claims.csv", "provenance.json", "fig5_agreement.csv", "spectra.png"):
        assert name in html


@pytest.mark.browser
def test_report_renders_in_chromium(run_dir):
    """Open the report in headless Chromium; every figure image must decode and show."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not _playwright_available():
        if os.environ.get("LINDAE_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium and Playwright are required (LINDAE_REQUIRE_BROWSER=1)")
        pytest.skip("no chromium (apt-get install chromium) or playwright on this machine")
    from playwright.sync_api import sync_playwright

    artifacts = Path(os.environ.get("LINDAE_ARTIFACTS", ROOT / "artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    shown, seen = {}, []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=flags,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = browser.new_page()
            page.goto((run_dir / "results" / "report.html").as_uri())
            for figure in range(1, 7):
                category = f"Fig. {figure}"
                page.get_by_text(category, exact=True).first.click()
                rows = page.locator("a[iconname=eye]")
                labels = page.locator("tbody tr td:first-child").all_inner_texts()
                for index in range(rows.count()):
                    rows.nth(index).click()
                    # A new PNG (not one shown before) must appear, load and decode.
                    page.wait_for_function(
                        "seen => Array.from(document.images).some("
                        "i => i.src.startsWith('data:image/png') && i.complete "
                        "&& i.naturalWidth > 500 && !seen.includes(i.src.slice(-120)))",
                        arg=seen,
                        timeout=30_000,
                    )
                    seen.extend(
                        page.evaluate(
                            "Array.from(document.images).filter(i => "
                            "i.src.startsWith('data:image/png')).map(i => i.src.slice(-120))"
                        )
                    )
                    shown[(figure, labels[index].strip())] = True
                    if figure == 6 and labels[index].strip() == "faithful":
                        page.screenshot(path=str(artifacts / "report_fig6.png"))
                page.get_by_text("Results", exact=True).first.click()
        finally:
            browser.close()
    expected = {(f, v) for f in range(1, 7) for v in ("faithful", "corrected")}
    assert expected <= set(shown)
    assert (artifacts / "report_fig6.png").stat().st_size > 10_000


def _playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def test_fig6_agreement_table(run_dir):
    agreement = pd.read_csv(run_dir / "results" / "fig6_agreement.csv")
    assert len(agreement) == 2 * 3 * 4
    assert np.isfinite(agreement.max_abs_difference).all()


def test_fig6_layout(run_dir):
    faithful = pd.read_csv(run_dir / "results" / "figures" / "fig6.csv")
    sizes = faithful.groupby(["dataset", "model", "run"]).size()
    epochs, every = SMALLER["nonlinear"]["epochs"], 10
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


# --- every record states its own settings; provenance reports them (finding 11) ---------

#: What each model was trained with: (noise, decay) of the linear models, (noise_std,
#: weight_decay) of the ReLU ones, in the shipped config.
LINEAR = {"AE": (0.0, 0.0), "WDAE": (0.0, 0.5), "DAE": (0.5, 0.0)}
NONLINEAR = {"AE": (0.0, 0.0), "WDAE": (0.0, 0.0045), "DAE": (2.0, 0.0)}


def _nulls(value, path="") -> list[str]:
    """The paths of every null in a JSON value."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _nulls(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _nulls(item, f"{path}[{index}]")]
    return []


def test_every_record_states_the_settings_of_its_own_model(run_dir):
    results = run_dir / "results"
    for dataset in ("mnist", "cifar10"):
        for model, (noise, decay) in LINEAR.items():
            meta = load_record(results / "linear" / f"{dataset}_{model}.npz")["metadata"]
            assert (meta["model"], meta["noise"], meta["decay"]) == (model, noise, decay)
            assert meta["seed"] == 321 and meta["dtype"] == "float32" and meta["device"] == "cpu"
            assert meta["wall_seconds"] > 0 and "settings" not in meta
        for model, (noise_std, weight_decay) in NONLINEAR.items():
            meta = load_record(results / "nonlinear" / f"{dataset}_{model}.npz")["metadata"]
            assert (meta["noise_std"], meta["weight_decay"]) == (noise_std, weight_decay)
    sampled = load_record(results / "linear" / "mnist_DAE-sampled.npz")["metadata"]
    assert (sampled["noise"], sampled["decay"], sampled["seed"], sampled["noise_seed"]) == (
        0.5,
        0.0,
        321,
        7,
    )


def test_provenance_reports_every_run_without_a_null(run_dir):
    payload = json.loads((run_dir / "results" / "provenance.json").read_text())
    runs = payload["training_runs"]
    assert len(runs) == 2 * 3 + 1 + 2 * 3  # linear, sampled noise, ReLU
    assert _nulls(runs) == []
    for key, run in runs.items():
        family, name = key.split("/")
        model = name.split("_", 1)[1]
        assert {"seed", "device", "dtype", "wall_seconds", "lr", "epochs"} <= set(run), key
        if family == "linear" and model in LINEAR:
            assert (run["noise"], run["decay"]) == LINEAR[model]
        if family == "nonlinear":
            assert (run["noise_std"], run["weight_decay"]) == NONLINEAR[model]
    assert runs["linear/mnist_DAE-sampled"]["noise_seed"] == 7
