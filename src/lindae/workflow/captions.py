"""Report captions: what each figure shows and its claims' verdicts, for Snakemake's report.

``caption_template`` writes the reStructuredText caption of every figure variant as one Jinja
template that Snakemake's report renders per output file (it picks the block of the file's
``stem``/``suffix`` wildcards); the text of each comes from the figure itself (its description
for the settings used, and its gist). The verdicts are baked in when the claims are evaluated, so
the report shows the numbers of the run it documents. ``claims_summary`` is what is printed at
the end of a run: how many claims were evaluated, passed, failed and not evaluated (a claim
measured on NaN, on no rows or on a figure that was not built; never a pass), then one line per
claim that did not pass. Never imports snakemake.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..claims import claim_status, not_evaluated_reason
from ..figures.base import Figure
from ..lazy import lazy_import

pd = lazy_import("pandas")

__all__ = [
    "VARIANT_DESCRIPTIONS",
    "caption_rst",
    "rst_escape",
    "caption_template",
    "claims_counts",
    "claims_summary",
]

VARIANT_DESCRIPTIONS = {
    "faithful": "Faithful rendering: the published figure, quirks of the authors' code kept "
    "(listed in the figure's _notes.json).",
    "corrected": "Corrected rendering: the defects of the published figure fixed, each change "
    "listed in the figure's _notes.json.",
}


def rst_escape(text: str) -> str:
    """Text shown literally in reStructuredText (no substitutions, emphasis or roles)."""
    for character in ("\\", "|", "*", "`"):
        text = text.replace(character, "\\" + character)
    return text


def _settings_lines(settings: Mapping[str, Any]) -> list[str]:
    lines = []
    for key, value in settings.items():
        text = json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
        lines.append(f"- ``{key}``: {text}")
    return lines


def caption_rst(
    figure: Figure,
    variant: str,
    settings: Mapping[str, Any],
    claims: pd.DataFrame,
    claims_file: str = "results/claims.csv",
) -> str:
    """The caption of one rendering: what is plotted (from the settings used), the gist, the
    settings, and every claim with its verdict (``claims_file``: the table they are in)."""
    key = figure.stem[3:] if figure.stem[3:].isdigit() else figure.stem
    rows = claims[(claims["figure"].astype(str) == key) & (claims["variant"] == variant)]
    about = VARIANT_DESCRIPTIONS[variant] if len(figure.variants) > 1 else "Beyond the paper."
    lines = [
        rst_escape(f"{figure.description(settings)} {figure.gist}".strip()),
        "",
        about,
        "",
        "**Settings**",
        "",
        *_settings_lines(settings),
        "",
        f"**Claims** (``{claims_file}``)",
        "",
    ]
    if rows.empty:
        lines.append("- no machine-checked claim for this rendering")
    else:
        lines += [rst_escape(_counts_text(claims_counts(rows))), ""]
    for row in rows.itertuples():
        status = claim_status(row)
        if status == "not evaluated":
            lines.append(f"- **NOT EVALUATED** {rst_escape(row.claim)}")
            continue
        verdict = "PASS" if status == "passed" else "FAIL"
        lines.append(
            f"- **{verdict}** {rst_escape(row.claim)}: measured {row.measured:.4g} "
            f"(required {row.relation} {row.threshold:.4g})"
        )
    return "\n".join(lines) + "\n"


def caption_template(
    claims: pd.DataFrame,
    figures: Iterable[Figure],
    settings: Mapping[str, Mapping[str, Any]],
    variants: Iterable[str],
    claims_file: str = "results/claims.csv",
) -> str:
    """One Jinja/rst template holding the caption of every rendering of ``figures``, whose
    claims are in ``claims_file``.

    Snakemake renders it per plotted file with ``snakemake.wildcards``; each block is guarded
    by the ``stem`` and ``suffix`` wildcards of one figure rendering. The caption text itself is
    escaped from Jinja (``{% raw %}``) so that braces in settings cannot break the template.
    ``settings[stem]`` is each figure's part of the config.
    """
    blocks = []
    for figure in figures:
        for variant in figure.variants:
            if len(figure.variants) > 1 and variant not in variants:
                continue
            condition = (
                f'snakemake.wildcards.stem == "{figure.stem}" and '
                f'snakemake.wildcards.suffix == "{figure.suffix(variant)}"'
            )
            text = caption_rst(figure, variant, settings[figure.stem], claims, claims_file)
            blocks.append(f"{{% if {condition} %}}{{% raw %}}\n{text}{{% endraw %}}{{% endif %}}")
    return "\n".join(blocks) + "\n"


def claims_counts(claims: pd.DataFrame) -> dict[str, int]:
    """How many rows of ``claims`` (claims.csv) are ``claims``, ``evaluated``, ``passed``,
    ``failed`` and ``not evaluated``."""
    statuses = [claim_status(row) for row in claims.itertuples()]
    counts = {status: statuses.count(status) for status in ("passed", "failed", "not evaluated")}
    return {"claims": len(statuses), "evaluated": counts["passed"] + counts["failed"], **counts}


def _counts_text(counts: Mapping[str, int]) -> str:
    return (
        f"Evaluated {counts['evaluated']} (passed {counts['passed']}, failed "
        f"{counts['failed']}), not evaluated {counts['not evaluated']}."
    )


def claims_summary(claims: pd.DataFrame) -> str:
    """The verdict with the counts (evaluated, passed, failed, not evaluated), then one line
    per claim that failed or was not evaluated (never counted as a pass)."""
    counts = claims_counts(claims)
    total, failed, missing = counts["claims"], counts["failed"], counts["not evaluated"]
    if total == 0:
        verdict = "No claims checked (no configured figure states any)."
    elif failed and missing:
        verdict = f"{failed} of {total} claims FAIL, {missing} NOT EVALUATED:"
    elif failed:
        verdict = f"{failed} of {total} claims FAIL:"
    elif missing:
        verdict = f"{missing} of {total} claims NOT EVALUATED:"
    else:
        verdict = f"All {total} claims pass."
    lines = [f"{verdict} {_counts_text(counts)}"]
    for row in claims.itertuples():
        status = claim_status(row)
        where = f"  Fig. {row.figure} ({row.variant}) {row.claim_id}"
        if status == "failed":
            lines.append(
                f"{where}: measured {row.measured:.4g}, required {row.relation} {row.threshold:.4g}"
            )
        elif status == "not evaluated":
            reason = not_evaluated_reason(row.claim) or "the measured value is NaN"
            lines.append(f"{where}: NOT EVALUATED ({reason})")
    return "\n".join(lines)
