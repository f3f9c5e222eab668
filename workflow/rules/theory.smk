# Theory tables of the data-free figures (Figs 1-4): closed-form theory and scalar GD. One
# table per figure and variant, holding every plotted point; plotting rules only read them.
# The real-data tables (theory vs trained models, Figs 5-6) are in agreement.smk.


rule figure_data:
    input:
        code=code_inputs("figure_data"),
    output:
        table=f"{RESULTS}/figures/fig{{figure}}{{suffix}}.csv",
        notes=f"{RESULTS}/figures/fig{{figure}}{{suffix}}_notes.json",
    log:
        f"{RESULTS}/logs/figure_data/fig{{figure}}{{suffix}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_data/fig{{figure}}{{suffix}}.tsv"
    wildcard_constraints:
        figure="[1-4]",
    group:
        "theory"
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=lambda wildcards: int(wildcards.figure),
        variant=lambda wildcards: VARIANT[wildcards.suffix],
        settings=lambda wildcards: config[f"fig{wildcards.figure}"],
    message:
        sized(
            "Fig. {wildcards.figure} ({params.variant}): theory and scalar simulations"
        )
    script:
        "../scripts/figure_data.py"
