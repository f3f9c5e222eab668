# Checking and documenting the reproduction: machine-checked claims (with the report captions
# that show their verdicts) and provenance. Both only read what the figure rules wrote, in
# seconds, so on a cluster they run on the submitting node (localrule) rather than queue.


rule claims:
    input:
        tables=[path for paths in claim_inputs().values() for path in paths.values()],
        code=code_inputs("claims"),
    output:
        claims=report(
            f"{RESULTS}/claims.csv", caption="../report/claims.rst", category="Claims"
        ),
        captions=CAPTIONS,
    log:
        f"{RESULTS}/logs/claims.log",
    benchmark:
        f"{RESULTS}/benchmarks/claims/claims.tsv"
    localrule: True
    conda:
        "../../envs/figures.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    params:
        tables=claim_inputs(host_path),
        # the paper's figures and companions (the analysis target checks its own)
        settings={
            stem: figure.settings(config)
            for stem, figure in REGISTRY.items()
            if figure.family.isdigit()
        },
        thresholds=config["claims"],
        variants=config["variants"],
        figures=config["figures"],
    message:
        sized("Checking each figure's claim on its data")
    script:
        "../scripts/claims.py"


rule provenance:
    input:
        claims=f"{RESULTS}/claims.csv",
        figures=figure_outputs(*config["figures"]),
        code=code_inputs("provenance"),
    output:
        provenance=report(
            f"{RESULTS}/provenance.json",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        f"{RESULTS}/logs/provenance.log",
    localrule: True
    conda:
        "../../envs/figures.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        config=config,
        # the workflow checkout; relative when results live in it (a copy plans the same job);
        # a remote (module) source: its address (no git state to read here)
        repository=(
            job_path(CHECKOUT, CHECKOUT)
            if CHECKOUT is not None
            else str(RULES_SOURCE.join(".."))
        ),
    message:
        sized(
            "Recording provenance: git state, packages, config hash, devices, seeds, times"
        )
    script:
        "../scripts/provenance.py"
