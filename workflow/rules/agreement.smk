# Theory vs training on real data: the Fig. 5 tables (per-mode closed form against the trained
# linear models) and Fig. 6 tables (ReLU runs against the linear theory at the effective
# parameters), with their agreement tables. Plotting rules only read these tables.


rule fig5_data:
    input:
        spectra=expand(f"{RESULTS}/spectra/{{dataset}}.npz", dataset=DATASETS),
        runs=linear_runs()[1],
        code=code_inputs("fig5_data"),
    output:
        table=f"{RESULTS}/figures/fig5{{suffix}}.csv",
        notes=f"{RESULTS}/figures/fig5{{suffix}}_notes.json",
    log:
        f"{RESULTS}/logs/fig5_data/fig5{{suffix}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig5_data/fig5{{suffix}}.tsv"
    group:
        "fig5"
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        variant=lambda wildcards: VARIANT[wildcards.suffix],
        datasets=DATASETS,
        runs=linear_runs()[0],
        settings=linear_settings(),
        fig5=config["fig5"],
    message:
        sized("Fig. 5 ({params.variant}): per-mode theory vs the trained linear models")
    script:
        "../scripts/fig5_data.py"


rule fig5_agreement:
    input:
        spectra=expand(f"{RESULTS}/spectra/{{dataset}}.npz", dataset=DATASETS),
        runs=linear_runs()[1],
        sampled=sampled_runs()[1],
        code=code_inputs("fig5_agreement"),
    output:
        agreement=report(
            f"{RESULTS}/fig5_agreement.csv",
            caption="../report/fig5_agreement.rst",
            category="Agreement tables",
        ),
    log:
        f"{RESULTS}/logs/fig5_agreement.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig5_agreement.tsv"
    group:
        "fig5"
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        datasets=DATASETS,
        runs=linear_runs()[0],
        sampled=sampled_runs()[0],
        settings=linear_settings(),
        modes=config["fig5"]["modes"],
    message:
        sized("Fig. 5: agreement of theory and training, per dataset, model and mode")
    script:
        "../scripts/fig5_agreement.py"


rule fig5_sampled_data:
    input:
        runs=sampled_runs()[1],
        code=code_inputs("fig5_sampled_data"),
    output:
        table=f"{RESULTS}/figures/fig5_sampled_noise.csv",
    log:
        f"{RESULTS}/logs/fig5_sampled_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig5_sampled_data.tsv"
    group:
        "fig5"
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        datasets=sampled_runs()[0],
        modes=config["fig5"]["modes"],
        record_every=config["linear"]["record_every"],
    message:
        sized("Fig. 5 companion: noise-averaged theory vs sampled-noise DAE")
    script:
        "../scripts/fig5_sampled_data.py"


rule fig6_data:
    input:
        spectra=expand(f"{RESULTS}/spectra/{{dataset}}.npz", dataset=DATASETS),
        runs=nonlinear_runs()[1],
        code=code_inputs("fig6_data"),
    output:
        table=f"{RESULTS}/figures/fig6{{suffix}}.csv",
        notes=f"{RESULTS}/figures/fig6{{suffix}}_notes.json",
    log:
        f"{RESULTS}/logs/fig6_data/fig6{{suffix}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig6_data/fig6{{suffix}}.tsv"
    group:
        "fig6"
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        variant=lambda wildcards: VARIANT[wildcards.suffix],
        datasets=DATASETS,
        runs=nonlinear_runs()[0],
        settings=nonlinear_settings(),
    message:
        sized("Fig. 6 ({params.variant}): mapping strength of the ReLU autoencoders")
    script:
        "../scripts/fig6_data.py"


use rule fig6_data as fig6_agreement with:
    output:
        agreement=report(
            f"{RESULTS}/fig6_agreement.csv",
            caption="../report/fig6_agreement.rst",
            category="Agreement tables",
        ),
    log:
        f"{RESULTS}/logs/fig6_agreement.log",
    benchmark:
        f"{RESULTS}/benchmarks/fig6_agreement.tsv"
    params:
        variant="corrected",
        datasets=DATASETS,
        runs=nonlinear_runs()[0],
        settings=nonlinear_settings(),
    message:
        sized(
            "Fig. 6: effective linear theory vs the ReLU runs, per dataset, model and mode"
        )
