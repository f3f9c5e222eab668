# Closed-form theory and scalar GD for the data-free figures (Figs 1-4): one table per figure
# and variant, holding every plotted point.


rule figure_data:
    input:
        library=library("theory", "scalar", "curves", "notes", "io"),
    output:
        table=f"{RESULTS}/figures/fig{{figure}}{{suffix}}.csv",
        notes=f"{RESULTS}/figures/fig{{figure}}{{suffix}}_notes.json",
    log:
        f"{RESULTS}/logs/figure_data/fig{{figure}}{{suffix}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_data/fig{{figure}}{{suffix}}.tsv"
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        figure=lambda wildcards: int(wildcards.figure),
        variant=lambda wildcards: VARIANT[wildcards.suffix],
        settings=lambda wildcards: config[f"fig{wildcards.figure}"],
    message:
        "Fig. {wildcards.figure} ({params.variant}): theory and scalar simulations"
    script:
        "../scripts/figure_data.py"
