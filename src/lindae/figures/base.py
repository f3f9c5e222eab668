"""The interface every figure implements, and the helpers its parts share.

A figure is one object (one module each) that knows, for its settings from the config:

* :meth:`Figure.settings` - which part of the config it depends on;
* :meth:`Figure.tables` - every number it draws, as named long-form tables (``curves`` first;
  surfaces, minimum sets and gradient fields as further tables), computed from its inputs;
* :meth:`Figure.agreement` - for figures on real data, theory vs training per mode;
* :meth:`Figure.notes` - what its faithful variant keeps of the published figure's quirks and
  what its corrected variant changes;
* :meth:`Figure.claims` - the paper's claims about it, checked on its own tables;
* :meth:`Figure.description` - what it shows, written from the settings actually used;
* :meth:`Figure.plot` - the drawing, from the tables alone (plotting computes nothing).

The workflow, the claims, the report captions and the README gallery all find figures through
the registry in :mod:`lindae.figures`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from ..claims import Claim
from ..lazy import lazy_import
from ..tables import SUFFIXES, VARIANTS, check_variant

pd = lazy_import("pandas")

__all__ = ["Figure", "LandscapeFigure", "Inputs", "Tables", "Settings", "note"]

Settings = Mapping[str, Any]
#: The datasets of the paper's Figs 5-6 (their published layout: one row or panel each).
PAPER_DATASETS = ("mnist", "cifar10")

#: Loaded upstream artefacts: ``spectra`` {dataset: Spectrum}, ``runs`` {(dataset, model):
#: record}, ``sampled`` {dataset: record}; empty for the data-free figures.
Inputs = Mapping[str, Any]
Tables = Mapping[str, "pd.DataFrame"]


def note(item: str, faithful: str, corrected: str) -> dict[str, str]:
    """One difference between the published rendering and the corrected one."""
    return {"item": item, "faithful": faithful, "corrected": corrected}


class Figure(ABC):
    """One figure of the paper (or a companion figure beyond it)."""

    #: Registry key and file stem: ``figures/<stem>[_corrected].{csv,pdf,png}``.
    stem: str = ""
    #: Human title ("Fig. 1"); companions name the figure they accompany.
    title: str = ""
    #: What the figure demonstrates, in one sentence (its claims check it on the data).
    gist: str = ""
    #: The paper figure this one belongs to (its report category and target).
    family: str = ""
    #: Renderings it is drawn in: both, or only ``corrected`` for companions beyond the paper.
    variants: tuple[str, ...] = VARIANTS
    #: Upstream artefacts its tables need: subset of ``spectra``, ``runs``, ``sampled``.
    inputs: tuple[str, ...] = ()
    #: Upstream artefacts its agreement table needs (when it has one).
    agreement_inputs: tuple[str, ...] = ()
    #: Which trainer's records ``runs`` holds: ``linear`` or ``nonlinear``.
    trainer: str = ""
    #: Tables written beside ``curves`` (each ``<stem>[_corrected]_<name>.csv``).
    extra_tables: tuple[str, ...] = ()
    #: Whether it writes ``<stem>_agreement.csv``.
    has_agreement: bool = False
    #: Whether it has a ``_notes.json`` (the paper's figures do; companions have no published
    #: counterpart to differ from).
    has_notes: bool = True

    def settings(self, config: Settings) -> dict[str, Any]:
        """The part of the workflow config this figure depends on (and only that): by default
        the section named like the figure (``fig1:`` ...)."""
        return dict(config[self.stem])

    @abstractmethod
    def tables(self, inputs: Inputs, settings: Settings, variant: str) -> dict[str, pd.DataFrame]:
        """``curves`` plus :attr:`extra_tables`: every number the plot draws."""

    def agreement(self, inputs: Inputs, settings: Settings) -> pd.DataFrame:
        """Theory vs simulation per dataset, model and mode (figures on real data)."""
        raise NotImplementedError(f"{self.title} has no agreement table")

    def differences(self, settings: Settings) -> list[dict[str, str]]:
        """Each quirk of the published figure and its correction (:func:`note`)."""
        return []

    def notes(self, settings: Settings, variant: str, tables: Tables) -> dict[str, Any]:
        """The ``_notes.json`` of one rendering: what it keeps or changes."""
        check_variant(variant)
        if variant == "faithful":
            summary = "Published figure reproduced with the authors' quirks kept (see 'faithful')."
        else:
            summary = "Defects of the published figure fixed; each difference listed below."
        return {
            "figure": int(self.stem[3:]) if self.stem[3:].isdigit() else self.stem,
            "variant": variant,
            "summary": summary,
            "differences": self.differences(settings),
        }

    @abstractmethod
    def claims(
        self, tables: Tables, settings: Settings, thresholds: Mapping[str, float], variant: str
    ) -> list[Claim]:
        """The paper's claims about this figure, measured on ``tables`` of ``variant``
        (``tables`` also holds ``agreement`` where the figure has one)."""

    @abstractmethod
    def description(self, settings: Settings) -> str:
        """What the figure shows, with the settings used (report caption, README gallery)."""

    @abstractmethod
    def plot(self, tables: Tables, settings: Settings, style: Settings, variant: str) -> Any:
        """The matplotlib figure, drawn from ``tables`` only."""

    # -- shared helpers -------------------------------------------------------------------

    def table_names(self) -> Sequence[str]:
        """Names of the tables :meth:`tables` returns."""
        return ("curves", *self.extra_tables)

    def suffix(self, variant: str) -> str:
        """File-name suffix of a rendering; none for figures drawn in one rendering only."""
        return "" if len(self.variants) == 1 else SUFFIXES[variant]


class LandscapeFigure(Figure):
    """A figure of the two-weight network: curves over time and the loss landscape they move
    on (surfaces, minimum sets, gradient fields), both computed from the settings alone."""

    extra_tables = ("landscape",)

    def tables(self, inputs: Inputs, settings: Settings, variant: str) -> dict[str, pd.DataFrame]:
        check_variant(variant)
        return {
            "curves": self.curve_table(settings, variant),
            "landscape": self.landscape_table(settings, variant),
        }

    @abstractmethod
    def curve_table(self, settings: Settings, variant: str) -> pd.DataFrame:
        """The long-form curves (GD runs and theory)."""

    @abstractmethod
    def landscape_table(self, settings: Settings, variant: str) -> pd.DataFrame:
        """The landscape geometry (:data:`lindae.landscape.GEOMETRY_COLUMNS`)."""
