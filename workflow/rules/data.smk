# Image datasets, one per `datasets.<name>` entry: the canonical arrays and a manifest each,
# downloaded through torchvision from the configured mirrors (file:// works), imported from a
# pre-extracted .npz or read from a folder of images. One rule per dataset (download_<name>),
# so a dry run shows exactly which jobs touch the network; local rules, since compute nodes
# often have no internet. A change of a dataset's source fetches it again.
# (describe_source, download_limits, resolve_settings, source_inputs: lindae.workflow.download,
# imported in common.smk)

SOURCES = {
    name: resolve_settings(settings, config["data_root"])
    for name, settings in config["datasets"].items()
}
# Stall and deadline limits of each dataset's downloads. Passed as a function of the job's
# input: Snakemake then leaves them out of its params rerun trigger, so changing a time limit
# does not fetch the data again.
LIMITS = {
    name: download_limits(settings) for name, settings in config["datasets"].items()
}
MESSAGES = {  # braces doubled: Snakemake formats messages
    name: describe_source(name, settings).replace("{", "{{").replace("}", "}}")
    for name, settings in SOURCES.items()
}


check_paper_datasets()  # Figs 5-6 asked for without mnist or cifar10: stop, naming it

for name in DATASETS:

    rule:
        name:
            f"download_{name}"
        input:
            code=code_inputs("fetch_dataset"),
            source=source_inputs(SOURCES[name]),
        output:
            arrays=f"{RESULTS}/data/{name}.npz",
            manifest=f"{RESULTS}/data/{name}_manifest.json",
        log:
            f"{RESULTS}/logs/data/{name}.log",
        benchmark:
            f"{RESULTS}/benchmarks/data/{name}.tsv"
        priority: priority_of(f"download_{name}")
        localrule: True
        conda:
            "../../envs/data.yaml"
        threads: 1
        resources:
            mem_mb=dataset_mem_mb("download", name),
            runtime=download_runtime(name),
        params:
            dataset=name,
            settings=SOURCES[name],
            limits=lambda wildcards, input, name=name: LIMITS[name],
        message:
            sized(MESSAGES[name])
        script:
            "../scripts/fetch_dataset.py"
