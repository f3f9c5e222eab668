"""A broken claim is reported as failing while every figure still builds (issue: claims)."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest
from conftest import SMALL_FIGURES, snakemake, write_yaml

pytestmark = pytest.mark.workflow

BROKEN = (3, "corrected", "curves_coincide")


def test_a_failing_claim_is_reported_and_the_figures_still_build(small_figures_checkout, tmp_path):
    # Starts from the finished small run of Figs 1-4, with Fig. 3's drawings deleted: the run
    # draws them again and checks the claims. A threshold far below what double precision can
    # show (|DAE - WDAE| <= 1e-30) makes the corrected Fig. 3's "curves coincide" fail.
    checkout = tmp_path / "checkout"
    subprocess.run(["cp", "-a", str(small_figures_checkout), str(checkout)], check=True)
    figures = checkout / "results" / "figures"
    drawings = [
        figures / f"fig3{suffix}{end}" for suffix in ("", "_corrected") for end in (".png", ".pdf")
    ]
    for drawing in drawings:
        drawing.unlink()
    broken = write_yaml(tmp_path / "broken.yaml", {**SMALL_FIGURES, "claims": {"coincide": 1e-30}})
    # exits 0: claims never stop the workflow
    result = snakemake(checkout, "--cores", "2", configs=(broken,), checkout=checkout)
    assert all(drawing.stat().st_size > 1000 for drawing in drawings)
    claim = ["figure", "variant", "claim_id"]
    before = pd.read_csv(small_figures_checkout / "results" / "claims.csv").set_index(claim)
    after = pd.read_csv(checkout / "results" / "claims.csv").set_index(claim)
    assert before.loc[BROKEN, "passed"] and not after.loc[BROKEN, "passed"]
    # every other claim keeps its measurement and verdict
    assert after.index.equals(before.index)
    others = after.index != BROKEN
    assert after.loc[others, ["measured", "passed"]].equals(
        before.loc[others, ["measured", "passed"]]
    )
    assert "claims FAIL" in result.stderr and "curves_coincide" in result.stderr
    assert (checkout / "results" / "provenance.json").exists()
    # The report still builds and shows the failure in the figure's caption.
    snakemake(checkout, "--report", "results/report.html", configs=(broken,), checkout=checkout)
    html = (checkout / "results" / "report.html").read_text()
    assert "FAIL" in html
