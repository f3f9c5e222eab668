"""Print the run-time estimate of a configuration without running it (not a test).

Builds the workflow's job graph as a dry run would (Snakemake's API, in a scratch working
directory unless --directory is given), then prints the lines a real run prints before its
first job (lindae.workflow.cost) for exactly the jobs that would run:

    .venv/bin/python bench/estimate_run_time.py --cores 2 config/config.yaml config/offline.yaml
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from lindae.workflow.cost import estimate_lines  # noqa: E402
from lindae.workflow.rates import measure_rates  # noqa: E402


def planned_jobs(configfiles: list[Path], cores: int, workdir: Path, overrides: dict) -> tuple:
    """(jobs as (rule, wildcards, threads), the config, the jobs that resume from a checkpoint
    there as index -> epoch) of a dry run in ``workdir``."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        ResourceSettings,
    )

    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        workflow_api = api.workflow(
            resource_settings=ResourceSettings(cores=cores),
            config_settings=ConfigSettings(configfiles=configfiles, config=overrides),
            snakefile=ROOT / "Snakefile",
            workdir=workdir,
        )
        workflow_api.dag(DAGSettings()).execute_workflow(executor="dryrun")
        workflow = workflow_api._workflow
        jobs = [
            (job.rule.name, dict(job.wildcards_dict), job.threads)
            for job in workflow.dag.needrun_jobs(exclude_finished=False)
            if not job.is_norun  # target rules: nothing runs
        ]
        # the workflow's own rule of which jobs resume (checkpoints under results_dir)
        here = Path.cwd()
        os.chdir(workdir)
        try:
            resumed = workflow.globals["resumed_epochs"](jobs)
        finally:
            os.chdir(here)
        return jobs, dict(workflow.config), resumed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configfiles", nargs="+", type=Path)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--directory", type=Path, help="working directory (default: scratch)")
    parser.add_argument("--data-root", default="", help="the config's data_root")
    args = parser.parse_args()
    overrides = {"data_root": args.data_root} if args.data_root else {}
    configfiles = [path.resolve() for path in args.configfiles]
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.directory or Path(scratch)
        jobs, config, resumed = planned_jobs(configfiles, args.cores, workdir.resolve(), overrides)
    threads = min(config["compute_threads"] or args.cores, os.cpu_count() or 1)
    for line in estimate_lines(jobs, config, args.cores, measure_rates(threads), resumed):
        print(line)


if __name__ == "__main__":
    main()
