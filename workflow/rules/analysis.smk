# Beyond the paper: target `analysis` (docs/analysis.md), never part of `all`. For every
# analysed dataset (analysis.datasets; [] = every configured one) its spectrum, Fig. 5's
# corrected panels with their agreement table, and the central claim measured: the half-time
# ratio t_WDAE / t_DAE of linear models trained under matched regularisation. The figures'
# data and agreement jobs come from the registry (figures.smk); here: the training behind the
# ratio, the plots with their own captions, and the claims (results/analysis_claims.csv).

_problems = analysis_problems(config)
if _problems:
    fail("\n  ".join(["analysis settings cannot work:", *_problems]))

ANALYSIS_STEMS = [stem for stem, f in REGISTRY.items() if f.family == "analysis"]
ANALYSIS_CAPTIONS = f"{RESULTS}/report/analysis_captions.rst"
ANALYSIS_CAPTIONS_ABSOLUTE = str(
    Path(HOST_RESULTS, "report", "analysis_captions.rst").resolve()
)


# What the target `analysis` builds: the analysis figures, their tables and claims.
ANALYSIS_OUTPUTS = [*figure_outputs("analysis"), f"{RESULTS}/analysis_claims.csv"]


rule train_half_times:
    input:
        spectrum=f"{RESULTS}/spectra/{{dataset}}.npz",
        # the learning rate the dataset's linear models were trained with (its metadata)
        rates=f"{RESULTS}/linear/{{dataset}}_DAE.npz",
        code=code_inputs("train_half_times"),
    output:
        record=half_time_record("{dataset}"),
    log:
        f"{RESULTS}/logs/train_half_times/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_half_times/{{dataset}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: compute_threads()
    resources:
        mem_mb=1500,
        runtime=30,
    params:
        settings=analysis_settings(config),
        # only for a run record without its rate (input function: no rerun trigger)
        fallback_lr=lambda wildcards, input: config["linear"]["lr"].get(
            wildcards.dataset
        ),
    message:
        sized(
            "Half times of the DAE and the matched WDAE on {wildcards.dataset}: modes "
            "{params.settings[modes]}, sigma^2 = {params.settings[noise_levels]} (CPU)"
        )
    script:
        "../scripts/train_half_times.py"


rule analysis_claims:
    input:
        tables=[
            path
            for paths in claim_inputs(stems=ANALYSIS_STEMS).values()
            for path in paths.values()
        ],
        code=code_inputs("claims"),
    output:
        claims=report(
            f"{RESULTS}/analysis_claims.csv",
            caption="../report/analysis_claims.rst",
            category="Claims",
        ),
        captions=ANALYSIS_CAPTIONS,
    log:
        f"{RESULTS}/logs/analysis_claims.log",
    benchmark:
        f"{RESULTS}/benchmarks/claims/analysis_claims.tsv"
    localrule: True
    conda:
        "../../envs/figures.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        tables=claim_inputs(host_path, stems=ANALYSIS_STEMS),
        settings={stem: REGISTRY[stem].settings(config) for stem in ANALYSIS_STEMS},
        thresholds=config["claims"],
        variants=["corrected"],
        figures=["analysis"],
    message:
        sized("Checking the analysis figures' claims on their data")
    script:
        "../scripts/claims.py"


# The analysis figures' plots: figure_plot's job, with the captions of analysis_claims.
ruleorder: analysis_plot > figure_plot


rule analysis_plot:
    input:
        unpack(lambda wildcards: figure_table_files(REGISTRY[wildcards.stem], "")),
        code=code_inputs("figure_plot"),
    output:
        pdf=f"{RESULTS}/figures/{{stem}}.pdf",
        png=report(
            f"{RESULTS}/figures/{{stem}}.png",
            caption=ANALYSIS_CAPTIONS_ABSOLUTE,
            category=plot_category,
            labels=plot_labels,
        ),
    log:
        f"{RESULTS}/logs/figure_plot/{{stem}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure_plot/{{stem}}.tsv"
    wildcard_constraints:
        stem="|".join(ANALYSIS_STEMS),
    conda:
        "../../envs/figures.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        stem="{stem}",
        variant="corrected",
        settings=lambda wildcards: REGISTRY[wildcards.stem].settings(config),
        style=plot_style(),
    message:
        sized("{params.stem} (beyond the paper): drawing PDF and PNG")
    script:
        "../scripts/figure_plot.py"
