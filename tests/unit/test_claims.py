"""lindae.claims: the claim rows, shared measurements, and evaluation through the figures."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pandas as pd
import pytest

from lindae import claims
from lindae.claims import Claim
from lindae.figures import REGISTRY, paper_figure


@pytest.fixture
def thresholds(default_config):
    return default_config["claims"]


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


def test_half_time_and_final_values():
    epochs, values = np.arange(5.0), np.array([0.0, 0.2, 0.6, 0.9, 1.0])
    assert claims.half_time(epochs, values, 0.5) == 2.0
    assert claims.half_time(epochs, values, 2.0) == math.inf
    rows = pd.DataFrame({"run": [0, 0, 1, 1], "epoch": [5, 1, 1, 5], "value": [3, 1, 2, 4]})
    assert claims.final_values(rows, ["run"]).to_dict() == {0: 3, 1: 4}


def test_fig4_claims_pass_and_fail_on_the_data(thresholds):
    fig4 = paper_figure(4)
    good = fig4.claims(
        {"curves": _fig4_table([1.35, 1.34], [1.2, 1.9])}, {}, thresholds, "faithful"
    )
    assert [c.passed for c in good] == [True, True, True]
    bad = fig4.claims({"curves": _fig4_table([1.35, 1.6], [1.5, 1.52])}, {}, thresholds, "faithful")
    verdicts = {c.claim_id: c.passed for c in bad}
    assert verdicts == {
        "decay_fixes_the_norm": False,  # one WDAE run away from sqrt(2u*)
        "noise_norm_depends_on_init": False,  # DAE norms barely spread
        "same_fixed_point": True,
    }
    assert bad[0].measured == pytest.approx(1.6 - 1.3484)


def test_fig3_claims_depend_on_the_variant_and_the_rate_rule(thresholds):
    table = pd.DataFrame(
        {
            "quantity": ["learning_rate_ratio", "mapping_difference", "mapping_difference"],
            "value": [0.8, 0.0, 0.1],
        }
    )
    fig3, tables = paper_figure(3), {"curves": table}
    hessian, notebook = {"corrected_wdae_rule": "hessian"}, {"corrected_wdae_rule": "notebook"}
    faithful = fig3.claims(tables, hessian, thresholds, "faithful")
    corrected = fig3.claims(tables, hessian, thresholds, "corrected")
    assert [c.claim_id for c in faithful] == ["dae_needs_smaller_step", "dae_learns_faster"]
    assert all(c.passed for c in faithful)
    assert corrected[1].claim_id == "curves_coincide" and not corrected[1].passed
    assert len(fig3.claims(tables, notebook, thresholds, "corrected")) == 1


def test_unreadable_data_is_a_failed_claim_not_an_exception(tmp_path, thresholds):
    path = tmp_path / "fig4.csv"
    pd.DataFrame({"panel": ["noise"], "value": [1.0]}).to_csv(path, index=False)
    result = claims.evaluate(
        REGISTRY.values(), {"fig4": {"curves": str(path)}}, {"fig4": {}}, thresholds
    )
    assert len(result) == 1 and result[0].claim_id == "data_readable"
    assert result[0].figure == "4" and not result[0].passed


def test_a_missing_table_is_a_failed_claim(tmp_path, thresholds):
    tables = {"fig1": {"curves": str(tmp_path / "absent.csv")}}
    result = claims.evaluate([paper_figure(1)], tables, {"fig1": {}}, thresholds)
    assert [c.claim_id for c in result] == ["data_readable"] and not result[0].passed


def test_every_configured_threshold_is_read_by_a_figure(default_config):
    """Thresholds live once, in the config, and each of them is used by some figure's claims."""
    source = "\n".join(inspect.getsource(inspect.getmodule(figure)) for figure in REGISTRY.values())
    for key in default_config["claims"]:
        assert f'thresholds["{key}"]' in source, f"claims.{key} is configured but never read"


# --- not evaluated: NaN, no rows, a figure not built (issue 13, Claims) ----------------------


def _fig5_tables(ae_final: float, nan_rms: bool = False) -> dict[str, pd.DataFrame]:
    """Fig. 5's agreement and corrected curves for one MNIST mode of the three models."""
    agreement = pd.DataFrame(
        {
            "dataset": "mnist",
            "model": ["AE", "WDAE", "DAE"],
            "mode": 1,
            "eigenvalue": [2.0, 0.2, 2.0],
            "fixed_point": 1.0,
            "final_projection": [ae_final, 0.0, 0.9 * ae_final],
            "max_abs_difference": 0.01,
            "rms_difference": [np.nan if nan_rms else 0.01, 0.01, 0.01],
            "plotted": True,
        }
    )
    curves = [
        ("mnist", f"mnist/{panel}", "simulation", model, "projection", 1, epoch, value)
        for panel, model, final in (
            ("weight_decay", "AE", ae_final),
            ("weight_decay", "WDAE", 0.0),
            ("noise", "DAE", 0.9 * ae_final),
        )
        for epoch, value in ((0, 0.0), (100, final))
    ]
    columns = ["dataset", "panel", "source", "model", "quantity", "run", "epoch", "value"]
    return {"agreement": agreement, "curves": pd.DataFrame(curves, columns=columns)}


def _fig5_claims(thresholds, **options) -> dict[str, Claim]:
    settings = {"linear": {"decay": 0.5}}
    found = paper_figure(5).claims(_fig5_tables(**options), settings, thresholds, "corrected")
    return {claim.claim_id: claim for claim in found}


def test_a_claim_measured_on_nan_is_not_evaluated_never_a_pass(thresholds):
    """pandas' max skips NaN: one NaN WDAE run used to leave the others to pass the claim."""
    fig4 = paper_figure(4)
    found = fig4.claims(
        {"curves": _fig4_table([1.35, math.nan], [1.2, 1.9])}, {}, thresholds, "faithful"
    )
    claim = {c.claim_id: c for c in found}["decay_fixes_the_norm"]
    assert not claim.passed and not claim.evaluated
    assert claim.reason == "1 of 2 measured values are NaN"
    row = claims.claims_frame([claim]).iloc[0]
    assert claims.claim_status(row) == "not evaluated" and not row.passed
    assert row.claim.endswith(" [not evaluated: 1 of 2 measured values are NaN]")
    # a NaN in the rows a filter selects from counts too (Fig. 5: a NaN RMS of a plotted mode)
    nan_rms = _fig5_claims(thresholds, ae_final=0.9, nan_rms=True)
    assert not nan_rms["theory_tracks_runs"].evaluated
    assert not nan_rms["theory_tracks_runs"].passed


def test_a_claim_measured_on_no_rows_is_not_evaluated(thresholds):
    """No learned mode: "0 modes where decay does not delay learning" is no evidence."""
    learned = _fig5_claims(thresholds, ae_final=0.9)
    assert learned["decay_delays_learning"].passed  # one learned mode, checked: a real pass
    unlearned = _fig5_claims(thresholds, ae_final=0.1)  # below `learned`: nothing to check
    for claim_id in ("decay_delays_learning", "noise_lowers_plateaus"):
        claim = unlearned[claim_id]
        assert not claim.evaluated and not claim.passed, claim
        assert claim.reason in ("no cases to check", "no rows to measure")


def test_measurements_equal_the_plain_reductions_on_clean_data():
    """The strict helpers change nothing for data without NaN (claims.csv stays identical)."""
    values = pd.Series([0.3, 0.1, 0.2])
    assert claims.measured_max(values) == float(values.max())
    assert claims.measured_min(values) == float(values.min())
    assert claims.measured_spread(values) == float(values.max() - values.min())
    assert claims.measured_count(0, 3) == 0.0
    assert math.isnan(claims.measured_count(0, 0)) and math.isnan(claims.measured_max([]))


def test_a_figure_that_was_not_built_is_not_evaluated(tmp_path, thresholds):
    tables = {"fig1": {"curves": str(tmp_path / "absent.csv")}}
    (claim,) = claims.evaluate([paper_figure(1)], tables, {"fig1": {}}, thresholds)
    assert claim.claim_id == "data_readable" and not claim.passed and not claim.evaluated
    assert claim.reason.startswith("FileNotFoundError: ")
    path = tmp_path / "claims.csv"
    claims.claims_frame([claim]).to_csv(path, index=False)
    (row,) = pd.read_csv(path).itertuples()
    assert claims.claim_status(row) == "not evaluated"
    assert claims.not_evaluated_reason(row.claim).startswith("FileNotFoundError: ")
