"""Rule spectra_plot: eigenvalue decay of every dataset's second moment."""

from lindae.io import job_log, save_figure
from lindae.plotting import plot_spectra
from lindae.spectra import load_spectrum

params = snakemake.params
with job_log(snakemake.log[0]):
    spectra = {
        d: load_spectrum(p) for d, p in zip(params.datasets, snakemake.input.spectra, strict=True)
    }
    figure = plot_spectra(spectra, params.style, params.decay)
    for path in (snakemake.output.pdf, snakemake.output.png):
        save_figure(figure, path, dpi=params.style["dpi"])
