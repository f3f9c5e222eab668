# Every figure, generated from the figure registry (lindae.figures): per figure one data job
# per rendering (all its tables and its notes), one agreement job for the figures on real data,
# and one plot job per rendering that only reads the tables (a change of colour replots, never
# recomputes). A new figure module needs no rule of its own.
from lindae.figures import REGISTRY

# Job sizes (mem_mb, runtime in min) from the benchmarks with ~2x headroom; default 1 GB, 5 min.
DATA_SIZES = {"fig6": (2000, 10)}


def figure_file(figure, ending, suffix="{suffix}", folder="figures"):
    """Path of one of a figure's files; single-rendering figures have no suffix."""
    suffix = suffix if len(figure.variants) > 1 else ""
    return f"{RESULTS}/{folder}/{figure.stem}{suffix}{ending}"


def figure_table_files(figure, suffix="{suffix}"):
    """Table name -> CSV path of one rendering (``curves`` is figN.csv itself)."""
    return {
        name: figure_file(figure, ".csv" if name == "curves" else f"_{name}.csv", suffix)
        for name in figure.table_names()
    }


def figure_variant(figure):
    """The rendering a job draws: from the suffix wildcard, or a figure's only one."""
    if len(figure.variants) == 1:
        return figure.variants[0]
    return lambda wildcards: VARIANT[wildcards.suffix]


def figure_inputs(kinds, trainer):
    """(files by kind, load_inputs arguments) of the upstream artefacts a job needs."""
    runs = {"linear": linear_runs, "nonlinear": nonlinear_runs}.get(trainer)
    files, keys = {}, {}
    if "spectra" in kinds:
        files["spectra"] = [f"{RESULTS}/spectra/{d}.npz" for d in DATASETS]
        keys["spectra"] = dict(zip(DATASETS, files["spectra"]))
    if "runs" in kinds:
        run_keys, files["runs"] = runs()
        keys["runs"] = list(zip(map(tuple, run_keys), files["runs"]))
    if "sampled" in kinds:
        datasets, files["sampled"] = sampled_runs()
        keys["sampled"] = dict(zip(datasets, files["sampled"]))
    return files, keys


def data_group(figure, kind):
    """Cluster bundle: data-free figures' tables ("theory") and plots ("plots"); a figure on
    real data goes with its paper figure (fig5, fig6)."""
    if not figure.inputs:
        return "theory" if kind == "data" else "plots"
    return f"fig{figure.family}"


def plot_inputs(wildcards):
    return figure_table_files(REGISTRY[wildcards.stem], wildcards.suffix)


def plot_variant(wildcards):
    variants = REGISTRY[wildcards.stem].variants
    return variants[0] if len(variants) == 1 else VARIANT[wildcards.suffix]


def plot_category(wildcards):
    return f"Fig. {REGISTRY[wildcards.stem].family}"


def plot_labels(wildcards):
    figure = REGISTRY[wildcards.stem]
    if len(figure.variants) == 1:
        return {"rendering": f"{figure.title} (beyond the paper)"}
    return {"rendering": VARIANT[wildcards.suffix]}


for stem, figure in REGISTRY.items():
    files, keys = figure_inputs(figure.inputs, figure.trainer)
    notes = {"notes": figure_file(figure, "_notes.json")} if figure.has_notes else {}
    mem_mb, runtime = DATA_SIZES.get(stem, (1000, 5))

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
            "../../envs/theory.yaml"
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
        files, keys = figure_inputs(figure.agreement_inputs, figure.trainer)

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
                "../../envs/theory.yaml"
            threads: 1
            resources:
                mem_mb=mem_mb,
                runtime=runtime,
            params:
                stem=stem,
                settings=figure.settings(config),
                inputs=keys,
            message:
                sized(f"{figure.title}: theory vs training, per dataset, model and mode")
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
        mem_mb=1000,
        runtime=5,
    params:
        stem="{stem}",
        variant=plot_variant,
        settings=lambda wildcards: REGISTRY[wildcards.stem].settings(config),
        style=config["style"],
    message:
        sized("{params.stem}{wildcards.suffix} ({params.variant}): drawing PDF and PNG")
    script:
        "../scripts/figure_plot.py"


def claim_inputs():
    """Rendering -> table name -> CSV path, for every configured paper figure (companions
    state no claims)."""
    tables = {}
    for number in config["figures"]:
        figure = REGISTRY[f"fig{number}"]
        for variant in config["variants"]:
            suffix = figure.suffix(variant)
            paths = figure_table_files(figure, suffix)
            if figure.has_agreement:
                paths["agreement"] = f"{RESULTS}/{figure.stem}_agreement.csv"
            tables[figure.stem + suffix] = paths
    return tables
