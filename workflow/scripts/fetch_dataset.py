"""Rules download_<dataset>: one configured dataset's canonical arrays and manifest.

Imports ``import_npz`` or reads ``image_folder`` when the config sets one, else downloads
through torchvision from the configured mirrors into a scratch folder beside the output
(removed afterwards).
"""

import sys
from pathlib import Path

# The library: the checkout's src/ beside workflow/, else the copy a remote (module) source
# gets in .snakemake/lindae/src (workflow/rules/common.smk). Never Snakemake's own sys.path.
_src = Path(snakemake.scriptdir).resolve().parent.parent / "src"
if not _src.is_dir():
    _src = Path(".snakemake", "lindae", "src").resolve()
sys.path.insert(0, str(_src))

import shutil

from lindae.data import import_dataset
from lindae.image_folder import import_image_folder
from lindae.io import job_log
from lindae.workflow.download import fetch_dataset

name = snakemake.params.dataset
settings = snakemake.params.settings
output = snakemake.output
with job_log(snakemake.log[0]) as log:
    log.info("%s: settings %s", name, dict(settings))
    if settings["import_npz"]:
        import_dataset(
            name,
            settings["import_npz"],
            output.arrays,
            output.manifest,
            settings["torchvision"],
        )
    elif settings.get("image_folder"):  # the key is there only when set
        import_image_folder(name, settings["image_folder"], output.arrays, output.manifest)
    else:
        scratch = Path(output.arrays).with_name(f".{name}_download")
        shutil.rmtree(scratch, ignore_errors=True)  # left behind by a killed job, if any
        fetch_dataset(
            name,
            settings["mirrors"],
            settings["md5"],
            settings["retries"],
            output.arrays,
            output.manifest,
            scratch,
            torchvision=settings["torchvision"],
            **snakemake.params.limits,  # stall_seconds, deadline_seconds
        )
    log.info("%s: wrote %s and %s", name, output.arrays, output.manifest)
