# Real datasets (Figs 5-6): the canonical arrays and a manifest per dataset, downloaded through
# torchvision from the configured mirrors (file:// works) or imported from a pre-extracted .npz.
# One rule per dataset, so a dry run shows exactly which jobs touch the network; local rules,
# since compute nodes often have no internet. A change of a dataset's source fetches it again.
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


rule download_mnist:
    input:
        code=code_inputs("fetch_dataset"),
        source=source_inputs(SOURCES["mnist"]),
    output:
        arrays=f"{RESULTS}/data/mnist.npz",
        manifest=f"{RESULTS}/data/mnist_manifest.json",
    log:
        f"{RESULTS}/logs/data/mnist.log",
    benchmark:
        f"{RESULTS}/benchmarks/data/mnist.tsv"
    localrule: True
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        dataset="mnist",
        settings=SOURCES["mnist"],
        limits=lambda wildcards, input: LIMITS["mnist"],
    message:
        sized(MESSAGES["mnist"])
    script:
        "../scripts/fetch_dataset.py"


use rule download_mnist as download_cifar10 with:
    input:
        code=code_inputs("fetch_dataset"),
        source=source_inputs(SOURCES["cifar10"]),
    output:
        arrays=f"{RESULTS}/data/cifar10.npz",
        manifest=f"{RESULTS}/data/cifar10_manifest.json",
    log:
        f"{RESULTS}/logs/data/cifar10.log",
    benchmark:
        f"{RESULTS}/benchmarks/data/cifar10.tsv"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        dataset="cifar10",
        settings=SOURCES["cifar10"],
        limits=lambda wildcards, input: LIMITS["cifar10"],
    message:
        sized(MESSAGES["cifar10"])
