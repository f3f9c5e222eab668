"""Rule spectrum: second-moment spectrum of one dataset's training subset (X as its
preprocessing builds it: the paper's scale is uncentred)."""

import sys
from pathlib import Path

# The library: the checkout's src/ beside workflow/, else the copy a remote (module) source
# gets in .snakemake/lindae/src (workflow/rules/common.smk). Never Snakemake's own sys.path.
_src = Path(snakemake.scriptdir).resolve().parent.parent / "src"
if not _src.is_dir():
    _src = Path(".snakemake", "lindae", "src").resolve()
sys.path.insert(0, str(_src))

from lindae.workflow.threads import pin_threads

THREADS = pin_threads(snakemake.config, snakemake.threads)  # before numpy and torch load


from lindae.data import load_training_matrix
from lindae.io import job_log
from lindae.spectra import check_spectrum, save_spectrum, second_moment_spectrum

# The largest mode each figure asks for. Read from the config, not params: a check, not an
# input, so changing the modes drawn never recomputes the spectrum (nor retrains).
config = snakemake.config
modes = {
    "fig5.modes": max(config["fig5"]["modes"]),
    "nonlinear.modes": config["nonlinear"]["modes"],
}
with job_log(snakemake.log[0]) as log:
    params, dataset = snakemake.params, snakemake.wildcards.dataset
    data = load_training_matrix(
        snakemake.input.arrays, params.subset, preprocessing=params.preprocessing
    )
    log.info("%s: X of shape %s (float64, %s)", dataset, data.shape, params.preprocessing)
    spectrum = second_moment_spectrum(data, dataset, params.preprocessing)
    log.info("tr(Sigma_bar) = %.6f, lambda_bar_1 = %.6f", spectrum.trace, spectrum.eigenvalues[0])
    check_spectrum(spectrum, snakemake.input.arrays, modes)
    log.info("numerical rank %d (modes asked for: %s)", spectrum.rank, modes)
    save_spectrum(spectrum, snakemake.output.spectrum)
