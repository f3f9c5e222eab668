# Second-moment spectrum of each dataset's training subset (uncentred unless the dataset's
# preprocessing centres X): one artefact per dataset, reused by training, theory and figures.


rule spectrum:
    input:
        arrays=f"{RESULTS}/data/{{dataset}}.npz",
        code=code_inputs("spectrum"),
    output:
        spectrum=f"{RESULTS}/spectra/{{dataset}}.npz",
    log:
        f"{RESULTS}/logs/spectrum/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/spectrum/{{dataset}}.tsv"
    priority: priority_of("spectrum")
    conda:
        "../../envs/data.yaml"
    threads: compute_threads()
    resources:
        mem_mb=lambda wildcards: dataset_mem_mb("spectrum", wildcards.dataset),
        runtime=dataset_runtime("spectrum", floor=10),
    params:
        subset=lambda wildcards: dataset_entry("datasets", wildcards.dataset)["subset"],
        preprocessing=lambda wildcards: preprocessing_of(wildcards.dataset),
    message:
        sized(
            "Spectrum of {wildcards.dataset}: X^T X / N (float64) and its eigendecomposition"
        )
    script:
        "../scripts/spectrum.py"
