"""A broken claim is reported as failing while every figure still builds (issue: claims)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import snakemake, write_yaml

pytestmark = pytest.mark.workflow


def test_a_failing_claim_is_reported_and_the_figures_still_build(tmp_path):
    # 30 GD steps are far too few for the weight-decay runs to reach their common norm, so
    # Fig. 4's "weight decay drives every run to one norm" must be reported as failing.
    broken = write_yaml(tmp_path / "broken.yaml", {"figures": [1, 4], "fig4": {"epochs": 30}})
    result = snakemake(tmp_path, "--cores", "2", configs=(broken,))  # exits 0: claims never stop it
    figures = tmp_path / "results" / "figures"
    for stem in ("fig1", "fig1_corrected", "fig4", "fig4_corrected"):
        assert (figures / f"{stem}.png").stat().st_size > 1000
    table = pd.read_csv(tmp_path / "results" / "claims.csv")
    verdicts = table.set_index(["figure", "variant", "claim_id"])["passed"]
    for variant in ("faithful", "corrected"):
        assert not verdicts[(4, variant, "decay_fixes_the_norm")]
    assert table[table.figure == 1].passed.all()
    assert "claims FAIL" in result.stderr and "decay_fixes_the_norm" in result.stderr
    assert (tmp_path / "results" / "provenance.json").exists()
    # The report still builds and shows the failure in the figure's caption.
    snakemake(tmp_path, "--report", "results/report.html", configs=(broken,))
    html = (tmp_path / "results" / "report.html").read_text()
    assert "FAIL" in html
