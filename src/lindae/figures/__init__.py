"""The figures: one module each, all behind :class:`~lindae.figures.base.Figure`.

:data:`REGISTRY` lists them in order; the workflow's rules, the claims, the report captions and
the README gallery all read it. Adding a figure means adding one module and one entry here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..io import load_record
from ..spectra import load_spectrum
from . import analysis, fig1, fig2, fig3, fig4, fig5, fig6, noise_vs_decay, sampled_noise, spectra
from .base import Figure

__all__ = ["REGISTRY", "Figure", "figure", "paper_figure", "load_inputs"]

#: Every figure by file stem, in the order claims and captions list them.
REGISTRY: dict[str, Figure] = {
    module.FIGURE.stem: module.FIGURE
    for module in (fig1, fig2, fig3, fig4, fig5, spectra, sampled_noise, fig6)
}
# Beyond the paper: the ``analysis`` target's figures (family "analysis", not a paper figure).
REGISTRY.update(
    {
        entry.stem: entry
        for entry in (analysis.ANALYSIS_SPECTRA, analysis.ANALYSIS_PANELS, noise_vs_decay.FIGURE)
    }
)


def figure(stem: str) -> Figure:
    """The figure with file stem ``stem``; a ValueError lists the valid stems."""
    try:
        return REGISTRY[stem]
    except KeyError:
        raise ValueError(f"unknown figure {stem!r}; valid: {', '.join(REGISTRY)}") from None


def paper_figure(number: int | str) -> Figure:
    """Fig. ``number`` of the paper (1-6)."""
    return figure(f"fig{number}")


def load_inputs(
    spectra: Mapping[str, str] | None = None,
    runs: Sequence[tuple[Sequence[str], str]] = (),
    sampled: Mapping[str, str] | None = None,
    half_times: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A figure's inputs from files: spectra by dataset, training records by (dataset, model),
    sampled-noise and half-time records by dataset (each in the order given)."""
    return {
        "spectra": {name: load_spectrum(path) for name, path in (spectra or {}).items()},
        "runs": {tuple(key): load_record(path) for key, path in runs},
        "sampled": {name: load_record(path) for name, path in (sampled or {}).items()},
        "half_times": {name: load_record(path) for name, path in (half_times or {}).items()},
    }
