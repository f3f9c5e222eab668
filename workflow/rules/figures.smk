# Every figure, generated from the figure registry (lindae.figures): per figure one data job
# per rendering (all its tables and its notes), one agreement job for the figures on real data,
# and one plot job per rendering that only reads the tables (a change of colour replots, never
# recomputes). A new figure module needs no rule of its own. Every job imports lindae.figures,
# whose modules hold a figure's tables and its plot: all use envs/figures.yaml (no torch).

for stem, figure in REGISTRY.items():
    files, keys = figure_inputs(figure.inputs, figure.trainer, figure_datasets(figure))
    notes = {"notes": figure_file(figure, "_notes.json")} if figure.has_notes else {}
    mem_mb, runtime = DATA_SIZES.get(stem, (1000, 5))
    mem_mb = max(mem_mb, data_job_mem_mb(stem, config))  # larger tables, more memory

    rule:
        name:
            f"{stem}_data"
        input:
            **files,
            code=code_inputs("figure_data"),
        output:
            **figure_table_files(figure),
            **notes,
        log:
            figure_file(figure, ".log", folder="logs/figure_data"),
        benchmark:
            figure_file(figure, ".tsv", folder="benchmarks/figure_data")
        group:
            data_group(figure, "data")
        conda:
            "../../envs/figures.yaml"
        threads: 1
        resources:
            mem_mb=mem_mb,
            runtime=runtime,
        params:
            stem=stem,
            variant=figure_variant(figure),
            settings=figure.settings(config),
            inputs=keys,
        message:
            sized(f"{figure.title} ({{params.variant}}): tables and notes")
        script:
            "../scripts/figure_data.py"

    if figure.has_agreement:
        files, keys = figure_inputs(
            figure.agreement_inputs, figure.trainer, figure_datasets(figure)
        )

        rule:
            name:
                f"{stem}_agreement"
            input:
                **files,
                code=code_inputs("figure_agreement"),
            output:
                agreement=report(
                    f"{RESULTS}/{stem}_agreement.csv",
                    caption=f"../report/{stem}_agreement.rst",
                    category="Agreement tables",
                ),
            log:
                f"{RESULTS}/logs/{stem}_agreement.log",
            benchmark:
                f"{RESULTS}/benchmarks/{stem}_agreement.tsv"
            group:
                data_group(figure, "data")
            conda:
                "../../envs/figures.yaml"
            threads: 1
            resources:
                mem_mb=mem_mb,
                runtime=runtime,
            params:
                stem=stem,
                settings=figure.settings(config),
                inputs=keys,
            message:
                sized(
                    f"{figure.title}: theory vs training, per dataset, model and mode"
                )
            script:
                "../scripts/figure_agreement.py"


rule figure_plot:
    input:
        unpack(plot_inputs),
        code=code_inputs("figure_plot"),
    output:
        pdf=f"{RESULTS}/figures/{{stem}}{{suffix}}.pdf",
        png=report(
            f"{RESULTS}/figures/{{stem}}{{suffix}}.png",
            caption=CAPTIONS_ABSOLUTE,
            category=plot_category,
            labels=plot_labels,
        ),
    log:
        f"{RESULTS}/logs/figure_plot/{{stem}}{{suffix}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_plot/{{stem}}{{suffix}}.tsv"
    wildcard_constraints:
        stem="|".join(REGISTRY),
    group:
        lambda wildcards: data_group(REGISTRY[wildcards.stem], "plot")
    conda:
        "../../envs/figures.yaml"
    threads: 1
    resources:
        mem_mb=lambda wildcards: max(1000, plot_job_mem_mb(wildcards.stem, config)),
        runtime=5,
    params:
        stem="{stem}",
        variant=plot_variant,
        settings=lambda wildcards: REGISTRY[wildcards.stem].settings(config),
        style=plot_style(),
    message:
        sized("{params.stem}{wildcards.suffix} ({params.variant}): drawing PDF and PNG")
    script:
        "../scripts/figure_plot.py"
