"""lindae.workflow.captions: report captions written from the figures and the claims."""

from __future__ import annotations

import copy

import jinja2
import pandas as pd
from docutils.core import publish_parts

from lindae.claims import Claim, Unmeasured, claims_frame
from lindae.figures import REGISTRY, paper_figure
from lindae.workflow import captions


class _Snakemake:
    """The object Snakemake's report hands a caption template (only its wildcards)."""

    def __init__(self, stem, suffix):
        self.wildcards = type("Wildcards", (), {"stem": stem, "suffix": suffix})()


def _template(claims, config, variants=("faithful", "corrected")):
    settings = {stem: figure.settings(config) for stem, figure in REGISTRY.items()}
    return jinja2.Template(captions.caption_template(claims, REGISTRY.values(), settings, variants))


def test_caption_template_renders_one_block_per_figure_rendering(default_config):
    frame = claims_frame(
        [
            Claim("1", "faithful", "a", "max |GD - theory| of u*", 0.1, "<=", 0.2),
            Claim("1", "corrected", "a", "max |GD - theory| of u*", 0.3, "<=", 0.2),
        ]
    )
    template = _template(frame, default_config)
    faithful = template.render(snakemake=_Snakemake("fig1", ""))
    corrected = template.render(snakemake=_Snakemake("fig1", "_corrected"))
    assert "**PASS**" in faithful and "FAIL" not in faithful
    assert "**FAIL**" in corrected and "Corrected rendering" in corrected
    assert "no machine-checked claim" in template.render(snakemake=_Snakemake("fig2", ""))
    companion = template.render(snakemake=_Snakemake("spectra", ""))
    assert "Beyond the paper" in companion and "gamma = 0.5" in companion
    html = publish_parts(corrected, writer="html", settings_overrides={"report_level": 2})
    assert "|GD - theory|" in html["body"] and "system-message" not in html["body"]


def test_a_changed_setting_changes_the_caption(default_config):
    """Captions say what was run: Fig. 4's noise level appears as configured."""
    frame = claims_frame([])
    before = _template(frame, default_config).render(snakemake=_Snakemake("fig4", ""))
    changed = copy.deepcopy(default_config)
    changed["fig4"]["noise"] = 0.3
    after = _template(frame, changed).render(snakemake=_Snakemake("fig4", ""))
    assert "eps = 0.1" in before and "eps = 0.3" not in before
    assert "eps = 0.3" in after and "eps = 0.1" not in after
    assert "``noise``: 0.3" in after
    assert paper_figure(4).description(changed["fig4"]) in after.replace("\\", "")


def test_claims_summary_lists_failures():
    frame = claims_frame(
        [
            Claim("4", "faithful", "decay_fixes_the_norm", "x", 0.3, "<=", 0.05),
            Claim("1", "faithful", "ok", "x", 0.0, "<=", 1.0),
        ]
    )
    summary = captions.claims_summary(frame)
    assert summary.startswith("1 of 2 claims FAIL") and "decay_fixes_the_norm" in summary
    assert captions.claims_summary(frame.iloc[1:]) == (
        "All 1 claims pass. Evaluated 1 (passed 1, failed 0), not evaluated 0."
    )


def test_claims_summary_counts_claims_not_evaluated_and_never_as_a_pass(tmp_path, default_config):
    """Issue 13: the summary says how many claims were evaluated, passed, failed and not
    evaluated (NaN, no rows, a figure not built), from claims.csv as written and read back."""
    frame = claims_frame(
        [
            Claim("4", "faithful", "decay_fixes_the_norm", "x", 0.3, "<=", 0.05),
            Claim("1", "faithful", "ok", "x", 0.0, "<=", 1.0),
            Claim(
                "5",
                "corrected",
                "theory_tracks_runs",
                "y",
                Unmeasured("no rows to measure"),
                "<=",
                0.1,
            ),
        ]
    )
    frame.to_csv(tmp_path / "claims.csv", index=False)
    read_back = pd.read_csv(tmp_path / "claims.csv")
    summary = captions.claims_summary(read_back)
    assert summary.splitlines() == [
        "1 of 3 claims FAIL, 1 NOT EVALUATED: Evaluated 2 (passed 1, failed 1), not evaluated 1.",
        "  Fig. 4 (faithful) decay_fixes_the_norm: measured 0.3, required <= 0.05",
        "  Fig. 5 (corrected) theory_tracks_runs: NOT EVALUATED (no rows to measure)",
    ]
    only_missing = captions.claims_summary(read_back.iloc[1:])
    assert only_missing.startswith("1 of 2 claims NOT EVALUATED: Evaluated 1 (passed 1")
    assert captions.claims_counts(read_back) == {
        "claims": 3,
        "evaluated": 2,
        "passed": 1,
        "failed": 1,
        "not evaluated": 1,
    }
    corrected = _template(read_back, default_config).render(
        snakemake=_Snakemake("fig5", "_corrected")
    )
    assert "Evaluated 0 (passed 0, failed 0), not evaluated 1." in corrected
    assert "**NOT EVALUATED** y [not evaluated: no rows to measure]" in corrected
    assert "PASS" not in corrected
