# Plotting only: reads the tables written by the compute rules, never recomputes them, so a
# change of colour or resolution re-runs these jobs alone.


rule figure_plot:
    input:
        table=f"{RESULTS}/figures/fig{{figure}}{{suffix}}.csv",
        code=code_inputs("figure_plot"),
    output:
        pdf=f"{RESULTS}/figures/fig{{figure}}{{suffix}}.pdf",
        png=report(
            f"{RESULTS}/figures/fig{{figure}}{{suffix}}.png",
            caption=CAPTIONS_ABSOLUTE,
            category="Fig. {figure}",
            labels=figure_labels,
        ),
    log:
        f"{RESULTS}/logs/figure_plot/fig{{figure}}{{suffix}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_plot/fig{{figure}}{{suffix}}.tsv"
    group:
        plot_group
    conda:
        "../../envs/figures.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        figure=lambda wildcards: int(wildcards.figure),
        variant=lambda wildcards: VARIANT[wildcards.suffix],
        settings=lambda wildcards: figure_settings(wildcards.figure),
        style=config["style"],
    message:
        sized("Fig. {wildcards.figure} ({params.variant}): drawing PDF and PNG")
    script:
        "../scripts/figure_plot.py"


use rule figure_plot as fig5_sampled_noise_plot with:
    input:
        table=f"{RESULTS}/figures/fig5_sampled_noise.csv",
        code=code_inputs("figure_plot"),
    output:
        pdf=f"{RESULTS}/figures/fig5_sampled_noise.pdf",
        png=report(
            f"{RESULTS}/figures/fig5_sampled_noise.png",
            caption="../report/fig5_sampled_noise.rst",
            category="Fig. 5",
            labels={"rendering": "sampled noise (beyond the paper)"},
        ),
    log:
        f"{RESULTS}/logs/figure_plot/fig5_sampled_noise.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_plot/fig5_sampled_noise.tsv"
    group:
        "fig5"
    params:
        figure="5_sampled_noise",
        variant="corrected",
        settings=config["fig5"],
        style=config["style"],
    message:
        sized("Fig. 5 companion: drawing the sampled-noise comparison")


rule spectra_plot:
    input:
        spectra=expand(f"{RESULTS}/spectra/{{dataset}}.npz", dataset=DATASETS),
        code=code_inputs("spectra_plot"),
    output:
        pdf=f"{RESULTS}/figures/spectra.pdf",
        png=report(
            f"{RESULTS}/figures/spectra.png",
            caption="../report/spectra.rst",
            category="Data",
            labels={"rendering": "eigenvalue spectra"},
        ),
    log:
        f"{RESULTS}/logs/spectra_plot.log",
    benchmark:
        f"{RESULTS}/benchmarks/spectra_plot.tsv"
    group:
        "fig5"
    conda:
        "../../envs/figures.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        datasets=DATASETS,
        style=config["style"],
        decay=config["linear"]["decay"],
    message:
        sized("Spectra: eigenvalue decay of every dataset")
    script:
        "../scripts/spectra_plot.py"
