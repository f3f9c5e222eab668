"""Markdown table of a run's time per stage, from its rules' benchmark files (not a test).

Reads ``<results>/benchmarks/**/*.tsv`` (Snakemake ``benchmark:``, column ``s``), groups them by
rule and by stage (lindae.workflow.cost.STAGES) and writes, per rule and per stage, the jobs,
the sum and the largest of their seconds, then the run's total wall time if given:

    .venv/bin/python bench/stage_times.py results/benchmarks --wall 843 --output times.md

Works on any run (CPU or GPU).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from lindae.workflow.cost import STAGES, format_seconds, stage_of  # noqa: E402
from lindae.workflow.provenance import benchmark_times  # noqa: E402


def stage_table(times: Mapping[str, Mapping[str, float]], wall: float | None = None) -> str:
    """The table of ``times`` (rule -> jobs, seconds, max_seconds: benchmark_times)."""
    lines = [
        "| stage | rule | jobs | sum of s | max s |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    order = {stage: index for index, stage in enumerate(STAGES)}
    rules = sorted(times, key=lambda rule: (order[stage_of(rule)], rule))
    for stage in STAGES:
        members = [rule for rule in rules if stage_of(rule) == stage]
        for rule in members:
            row = times[rule]
            lines.append(
                f"| {stage} | {rule} | {row['jobs']:.0f} | {row['seconds']:.1f} | "
                f"{row['max_seconds']:.1f} |"
            )
        if members:
            jobs = sum(times[rule]["jobs"] for rule in members)
            total = sum(times[rule]["seconds"] for rule in members)
            longest = max(times[rule]["max_seconds"] for rule in members)
            lines.append(f"| **{stage}** | all | {jobs:.0f} | {total:.1f} | {longest:.1f} |")
    jobs = sum(row["jobs"] for row in times.values())
    total = sum(row["seconds"] for row in times.values())
    lines.append(f"| **all stages** | | {jobs:.0f} | {total:.1f} | |")
    if wall is not None:
        lines.append("")
        lines.append(f"Total wall time: {wall:.0f} s ({format_seconds(wall)}).")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmarks", type=Path, help="a run's results/benchmarks folder")
    parser.add_argument("--wall", type=float, help="the run's wall time in seconds")
    parser.add_argument("--output", type=Path, help="also write the table here")
    args = parser.parse_args()
    if not args.benchmarks.is_dir():
        parser.error(f"{args.benchmarks} is not a folder")
    table = stage_table(benchmark_times(args.benchmarks), args.wall)
    if args.output is not None:
        args.output.write_text(table)
    sys.stdout.write(table)


if __name__ == "__main__":
    main()
