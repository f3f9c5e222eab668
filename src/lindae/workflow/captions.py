"""Report captions: what each figure shows and its claims' verdicts, for Snakemake's report.

``caption_template`` writes the reStructuredText caption of every figure variant as one Jinja
template that Snakemake's report renders per output file (it picks the block of the file's
``figure``/``suffix`` wildcards). The verdicts are baked in when the claims are evaluated, so
the report shows the numbers of the run it documents. ``claims_summary`` is the line printed at
the end of a run. Never imports snakemake.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "FIGURE_DESCRIPTIONS",
    "VARIANT_DESCRIPTIONS",
    "SUFFIX",
    "caption_rst",
    "rst_escape",
    "caption_template",
    "claims_summary",
]

FIGURE_DESCRIPTIONS = {
    "1": "Scalar linear DAE (lambda = 1): the exact unbalanced-init solution (solid) against "
    "gradient descent from random inits (dashed), one column per noise level, with the fixed "
    "point lambda/(lambda+eps) in red; bottom: the loss surface with the GD paths and the "
    "hyperbola of minima.",
    "2": "Closed-form dynamics of the DAE (top, noise eps) and of the WDAE with the matched "
    "weight decay gamma = lambda eps/(lambda+eps) (bottom), one column per eigenvalue lambda; "
    "darker curves mean more regularisation.",
    "3": "DAE vs WDAE at scaled inverse-Hessian ('optimal') learning rates: dynamics (left), "
    "the rates against the noise level (middle) and the difference DAE - WDAE (right).",
    "4": "Scalar DAE (top, eps = 0.1) vs WDAE with the matched decay (bottom): loss landscape "
    "with GD paths, the mapping w2 w1 and the weight norm; magenta is the small-init run.",
    "5": "Linear AE vs WDAE (left) and AE vs DAE (right) trained on MNIST (top) and CIFAR-10 "
    "(bottom): the per-mode theory with the data's eigenvalues (lines) against the trained "
    "weights (markers) for modes 1, 4, 8, 16 and 32.",
    "6": "One-hidden-layer ReLU AE (blue), WDAE (orange) and DAE (green) on MNIST and "
    "CIFAR-10: the mapping strength along the top eigen-directions of the data.",
}

VARIANT_DESCRIPTIONS = {
    "faithful": "Faithful rendering: the published figure, quirks of the authors' code kept "
    "(listed in the figure's _notes.json).",
    "corrected": "Corrected rendering: the defects listed in PAPER.md fixed, each change "
    "listed in the figure's _notes.json.",
}

SUFFIX = {"faithful": "", "corrected": "_corrected"}


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
    figure: str, variant: str, settings: Mapping[str, Any], claims: pd.DataFrame
) -> str:
    """The caption of one figure variant: what is plotted, settings, claims with verdicts."""
    rows = claims[(claims["figure"].astype(str) == figure) & (claims["variant"] == variant)]
    lines = [
        FIGURE_DESCRIPTIONS.get(figure, f"Figure {figure}."),
        "",
        VARIANT_DESCRIPTIONS[variant],
        "",
        "**Settings**",
        "",
        *_settings_lines(settings),
        "",
        "**Claims** (``results/claims.csv``)",
        "",
    ]
    if rows.empty:
        lines.append("- no machine-checked claim for this rendering")
    for row in rows.itertuples():
        verdict = "PASS" if bool(row.passed) else "FAIL"
        lines.append(
            f"- **{verdict}** {rst_escape(row.claim)}: measured {row.measured:.4g} "
            f"(required {row.relation} {row.threshold:.4g})"
        )
    return "\n".join(lines) + "\n"


def caption_template(
    claims: pd.DataFrame, settings: Mapping[str, Mapping[str, Any]], variants: Iterable[str]
) -> str:
    """One Jinja/rst template holding the caption of every figure variant.

    Snakemake renders it per figure output with ``snakemake.wildcards``; each block is guarded
    by the wildcards of one figure and variant. The caption text itself is escaped from Jinja
    (``{% raw %}``) so that braces in settings cannot break the template.
    """
    blocks = []
    for figure, figure_settings in settings.items():
        for variant in variants:
            condition = (
                f'snakemake.wildcards.figure == "{figure}" and '
                f'snakemake.wildcards.suffix == "{SUFFIX[variant]}"'
            )
            text = caption_rst(figure, variant, figure_settings, claims)
            blocks.append(f"{{% if {condition} %}}{{% raw %}}\n{text}{{% endraw %}}{{% endif %}}")
    return "\n".join(blocks) + "\n"


def claims_summary(claims: pd.DataFrame) -> str:
    """One line per failing claim, or a line saying that all pass."""
    failed = claims[~claims["passed"].astype(bool)]
    if failed.empty:
        return f"All {len(claims)} claims pass."
    lines = [f"{len(failed)} of {len(claims)} claims FAIL:"]
    lines += [
        f"  Fig. {row.figure} ({row.variant}) {row.claim_id}: measured {row.measured:.4g}, "
        f"required {row.relation} {row.threshold:.4g}"
        for row in failed.itertuples()
    ]
    return "\n".join(lines)
