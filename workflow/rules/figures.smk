# Plotting only: reads the tables written by the compute rules, never recomputes them, so a
# change of colour or resolution re-runs these jobs alone.


rule figure_plot:
    input:
        table=f"{RESULTS}/figures/fig{{figure}}{{suffix}}.csv",
        library=library("theory", "plotting", "io"),
    output:
        pdf=f"{RESULTS}/figures/fig{{figure}}{{suffix}}.pdf",
        png=f"{RESULTS}/figures/fig{{figure}}{{suffix}}.png",
    log:
        f"{RESULTS}/logs/figure_plot/fig{{figure}}{{suffix}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_plot/fig{{figure}}{{suffix}}.tsv"
    conda:
        "../../envs/figures.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    params:
        figure=lambda wildcards: int(wildcards.figure),
        variant=lambda wildcards: VARIANT[wildcards.suffix],
        settings=lambda wildcards: config[f"fig{wildcards.figure}"],
        style=config["style"],
    message:
        "Fig. {wildcards.figure} ({params.variant}): drawing PDF and PNG"
    script:
        "../scripts/figure_plot.py"
