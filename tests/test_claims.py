"""Claims, report captions and provenance (lindae.claims, lindae.workflow) on small inputs."""

from __future__ import annotations

import math

import jinja2
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from docutils.core import publish_parts

from lindae import claims
from lindae.claims import Claim
from lindae.workflow import captions, provenance


def _fig4_table(norms_wdae, norms_dae, limit=1.3484, fixed=10 / 11, epochs=(0, 999)):
    rows = []
    for panel, model, norms in (("noise", "DAE", norms_dae), ("weight_decay", "WDAE", norms_wdae)):
        for run, norm in enumerate(norms):
            for epoch in epochs:
                for quantity, value in (("weight_norm", norm), ("mapping", fixed)):
                    rows.append((panel, "simulation", model, quantity, run, epoch, value))
        rows.append((panel, "theory", model, "norm_limit", -1, np.nan, limit))
        rows.append((panel, "theory", model, "fixed_point", -1, np.nan, fixed))
    return pd.DataFrame(
        rows, columns=["panel", "source", "model", "quantity", "run", "epoch", "value"]
    )


def test_claim_verdicts_follow_the_relation_and_fail_on_nan():
    assert Claim("1", "faithful", "x", "x", 0.1, "<=", 0.2).passed
    assert not Claim("1", "faithful", "x", "x", 0.3, "<=", 0.2).passed
    assert Claim("1", "faithful", "x", "x", 0.3, ">=", 0.2).passed
    assert not Claim("1", "faithful", "x", "x", math.nan, "<=", 1.0).passed
    frame = claims.claims_frame([Claim("1", "faithful", "x", "x", 0.1, "<=", 0.2)])
    assert list(frame.columns) == claims.CLAIM_COLUMNS and bool(frame.passed[0])


def test_half_time():
    epochs, values = np.arange(5.0), np.array([0.0, 0.2, 0.6, 0.9, 1.0])
    assert claims.half_time(epochs, values, 0.5) == 2.0
    assert claims.half_time(epochs, values, 2.0) == math.inf


def test_fig4_claims_pass_and_fail_on_the_data():
    t = claims.DEFAULT_THRESHOLDS
    good = claims.fig4_claims(_fig4_table([1.35, 1.34], [1.2, 1.9]), "faithful", t)
    assert [c.passed for c in good] == [True, True, True]
    bad = claims.fig4_claims(_fig4_table([1.35, 1.6], [1.5, 1.52]), "faithful", t)
    verdicts = {c.claim_id: c.passed for c in bad}
    assert verdicts == {
        "decay_fixes_the_norm": False,  # one WDAE run away from sqrt(2u*)
        "noise_norm_depends_on_init": False,  # DAE norms barely spread
        "same_fixed_point": True,
    }
    assert bad[0].measured == pytest.approx(1.6 - 1.3484)


def test_unreadable_data_is_a_failed_claim_not_an_exception(tmp_path):
    path = tmp_path / "fig4.csv"
    pd.DataFrame({"panel": ["noise"], "value": [1.0]}).to_csv(path, index=False)
    result = claims.evaluate_claims({"fig4": str(path)})
    assert len(result) == 1 and result[0].claim_id == "data_readable"
    assert not result[0].passed


def test_fig3_claims_depend_on_the_variant():
    table = pd.DataFrame(
        {
            "quantity": ["learning_rate_ratio", "mapping_difference", "mapping_difference"],
            "value": [0.8, 0.0, 0.1],
        }
    )
    faithful = claims.fig3_claims(table, "faithful", claims.DEFAULT_THRESHOLDS)
    corrected = claims.fig3_claims(table, "corrected", claims.DEFAULT_THRESHOLDS)
    assert [c.claim_id for c in faithful] == ["dae_needs_smaller_step", "dae_learns_faster"]
    assert all(c.passed for c in faithful)
    assert corrected[1].claim_id == "curves_coincide" and not corrected[1].passed


def test_default_thresholds_match_the_config(default_config):
    assert default_config["claims"] == claims.DEFAULT_THRESHOLDS


def test_caption_template_renders_one_block_per_figure_variant():
    frame = claims.claims_frame(
        [
            Claim("1", "faithful", "a", "max |GD - theory| of u*", 0.1, "<=", 0.2),
            Claim("1", "corrected", "a", "max |GD - theory| of u*", 0.3, "<=", 0.2),
        ]
    )
    settings = {"1": {"lam": 1.0, "noise_levels": [0, 1, 5]}, "2": {"lr": 0.001}}
    template = jinja2.Template(
        captions.caption_template(frame, settings, ["faithful", "corrected"])
    )

    class Wildcards:
        def __init__(self, figure, suffix):
            self.figure, self.suffix = figure, suffix

    class Snakemake:
        def __init__(self, figure, suffix):
            self.wildcards = Wildcards(figure, suffix)

    faithful = template.render(snakemake=Snakemake("1", ""))
    corrected = template.render(snakemake=Snakemake("1", "_corrected"))
    assert "**PASS**" in faithful and "FAIL" not in faithful
    assert "**FAIL**" in corrected and "Corrected rendering" in corrected
    assert "no machine-checked claim" in template.render(snakemake=Snakemake("2", ""))
    html = publish_parts(corrected, writer="html", settings_overrides={"report_level": 2})
    assert "|GD - theory|" in html["body"] and "system-message" not in html["body"]


def test_claims_summary_lists_failures():
    frame = claims.claims_frame(
        [
            Claim("4", "faithful", "decay_fixes_the_norm", "x", 0.3, "<=", 0.05),
            Claim("1", "faithful", "ok", "x", 0.0, "<=", 1.0),
        ]
    )
    summary = captions.claims_summary(frame)
    assert summary.startswith("1 of 2 claims FAIL") and "decay_fixes_the_norm" in summary
    assert captions.claims_summary(frame.iloc[1:]) == "All 1 claims pass."


def test_config_hash_ignores_key_order_and_sees_values():
    first = {"a": 1, "b": {"c": [1, 2]}}
    assert provenance.config_hash(first) == provenance.config_hash({"b": {"c": [1, 2]}, "a": 1})
    assert provenance.config_hash(first) != provenance.config_hash({"a": 2, "b": {"c": [1, 2]}})


def test_seeds_and_git_state(tmp_path, default_config):
    seeds = provenance.find_seeds(default_config)
    assert seeds["nonlinear.seed"] == default_config["nonlinear"]["seed"]
    assert seeds["fig1.seed_stride"] == default_config["fig1"]["seed_stride"]
    state = provenance.git_state(ROOT)
    if state["commit"] is not None:  # a git checkout (CI's clone is one)
        assert len(state["commit"]) == 40 and isinstance(state["dirty"], bool)
    assert provenance.git_state(tmp_path)["commit"] is None


def test_benchmark_times_sum_per_stage(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for stage, job, seconds in (("train", "a", 2.5), ("train", "b", 1.5), ("plot", "c", 0.5)):
        (tmp_path / stage).mkdir(exist_ok=True)
        (tmp_path / stage / f"{job}.tsv").write_text(
            header + f"{seconds}\t0:00:02\t100.5\t1\t1\t1\t0\t0\t0\t1\n"
        )
    (tmp_path / "agreement.tsv").write_text(header + "0.25\t0:00:00\t-\t1\t1\t1\t0\t0\t0\t1\n")
    times = provenance.benchmark_times(tmp_path)
    assert times["train"] == {"jobs": 2, "seconds": 4.0, "max_seconds": 2.5, "max_rss_mb": 100.5}
    assert times["plot"]["jobs"] == 1
    assert times["agreement"] == {
        "jobs": 1,
        "seconds": 0.25,
        "max_seconds": 0.25,
        "max_rss_mb": 0.0,
    }
