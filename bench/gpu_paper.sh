#!/usr/bin/env bash
# The paper preset (all six figures) on a CUDA machine, timed per stage (not a test).
#
#   bench/gpu_paper.sh /path/to/data [results folder]     (or DATA=/path/to/data bench/gpu_paper.sh)
#
# Runs from the checkout this script is in, with its .venv (make env creates it), into a fresh
# results folder (default results-gpu-<date>), with device: cuda (training refuses to start
# without a GPU) and one training job on the card at a time (--resources gpu=1). Then writes
# <results>/stage_times.md: per rule and stage the jobs, the sum and the largest of the
# benchmark seconds, and the total wall time; the table is also printed.
set -euo pipefail

here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd -- "$here"
data="${1:-${DATA:-}}"
results="${2:-results-gpu-$(date +%Y%m%d-%H%M%S)}"
if [[ -z "$data" || ! -d "$data" ]]; then
    echo "usage: $0 /path/to/data [results folder] (or DATA=/path/to/data): a folder laid out like ../shared/data" >&2
    exit 2
fi
if [[ -e "$results" ]]; then
    echo "$0: $results exists; give a fresh results folder" >&2
    exit 2
fi
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "$0: no NVIDIA GPU visible (nvidia-smi); this script times the paper preset on CUDA" >&2
    exit 2
fi
data="$(cd -- "$data" && pwd)"
nvidia-smi -L

start=$(date +%s)
.venv/bin/snakemake --cores all --resources gpu=1 \
    --configfile config/config.yaml config/offline.yaml \
    --config "data_root=$data" "results_dir=$results" device=cuda
wall=$(($(date +%s) - start))

.venv/bin/python bench/stage_times.py "$results/benchmarks" --wall "$wall" \
    --output "$results/stage_times.md"
echo "written: $results/stage_times.md"
