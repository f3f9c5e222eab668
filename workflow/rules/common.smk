# Shared helpers: where outputs go, the library that rule scripts import, target lists, what
# a real run does before Snakemake locks the working directory and when it is stopped, and the
# training jobs' devices.
import ast
import functools
import os
import sys
from pathlib import Path


def _library_source():
    """(folder holding the package ``lindae``, checkout root or None) of this workflow's source.

    A local checkout (`snakemake -s ...`, or a module whose snakefile is a plain path) serves
    its own ``src/``. A remote source (``gitfile(...)``, ``github(...)`` as a module) has no
    folder here: the library files are read through Snakemake's source cache and copied to
    ``.snakemake/lindae/src`` of the working directory (the only place parsing may write).
    """
    basedir = RULES_SOURCE
    if isinstance(basedir, (str, os.PathLike)):  # LocalSourceFile is path-like
        checkout = Path(basedir).parent.parent
        return checkout / "src", checkout
    _patch_local_git_join()
    roots = ["lindae", "lindae.figures", "lindae.training", "lindae.workflow"]
    _materialise([*roots, *(f"lindae.workflow.{name}" for name in WORKFLOW_MODULES)])
    return REMOTE_LIBRARY.resolve(), None


def _patch_local_git_join():
    """Work around Snakemake 9.27: ``LocalGitFile.join`` (a ``gitfile(...)`` source) takes
    only a str, but planning a script job joins the rule's folder with a LocalSourceFile
    (TypeError "expected str instance, LocalSourceFile found"). Other sources accept both.
    """
    from snakemake.sourcecache import LocalGitFile, SourceFile

    join = LocalGitFile.join
    if getattr(join, "lindae_patched", False):
        return

    def join_path_or_source(self, path):
        if isinstance(path, SourceFile):
            path = path.get_path_or_uri(secret_free=False)
        return join(self, path)

    join_path_or_source.lindae_patched = True
    LocalGitFile.join = join_path_or_source


def _materialise(modules):
    """Copy the library files that ``modules`` need (import closure) from the remote source
    to REMOTE_LIBRARY, file by file and only where the content differs (unchanged modules
    keep their mtimes, concurrent parses see whole files). Returns their paths there."""
    library = RULES_SOURCE.join("../../src")
    paths = []
    files = _library_files(modules, lambda name: _read_remote(library.join(name)))
    for name, text in files.items():
        path = REMOTE_LIBRARY / name
        paths.append(path)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, path)
    return sorted(paths)


def _read_remote(source):
    """Text of one remote source file, or None where it does not exist; each file is read
    once per parse (every read of a git source runs git, and each rule asks again)."""
    key = source.get_path_or_uri(secret_free=False)
    if key not in _REMOTE_TEXT:
        text = None
        if workflow.sourcecache.exists(source):
            with workflow.sourcecache.open(source) as handle:
                text = handle.read()
        _REMOTE_TEXT[key] = text
    return _REMOTE_TEXT[key]


_REMOTE_TEXT = {}


def _library_files(modules, read):
    """Relative path -> text of every file of ``lindae`` that importing ``modules`` runs (a
    remote source cannot be listed, only read): the closure of ``import`` statements, lazy
    ones too; ``read(relative path)`` gives a file's text or None.
    """
    files, pending, seen = {}, list(modules), set()
    while pending:
        name = pending.pop()
        if name in seen or name.split(".")[0] != "lindae":
            continue
        seen.add(name)
        relative = name.replace(".", "/")
        for candidate, package in (
            (f"{relative}/__init__.py", name),
            (f"{relative}.py", name.rpartition(".")[0]),
        ):
            text = read(candidate)
            if text is None:
                continue
            files[candidate] = text
            pending += _imported_modules(text, package)
            parts = name.split(".")  # importing a.b.c runs a and a.b first
            pending += [".".join(parts[:depth]) for depth in range(1, len(parts))]
            break
    return files


@functools.lru_cache(maxsize=None)  # the same files are parsed for every rule
def _imported_modules(source, package):
    """Modules that ``source`` imports (``from a import b``: ``a`` and ``a.b``), relative ones
    resolved in ``package`` (same rules as lindae.workflow.code_deps, which is not importable
    before the library is in place)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported = node.module or ""
            if node.level:
                if package is None:
                    continue
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                imported = f"{base}.{imported}" if imported else base
            names += [imported, *(f"{imported}.{alias.name}" for alias in node.names)]
    return tuple(names)  # shared by the cache: immutable


# The folder of workflow/rules, as a path (local checkout) or a remote SourceFile (gitfile,
# github...), which Path() cannot take.
RULES_SOURCE = workflow.current_basedir
# Where a remote source's library is copied (relative to the working directory).
REMOTE_LIBRARY = Path(".snakemake", "lindae", "src")
# Workflow plumbing imported while parsing (also read from a remote source).
WORKFLOW_MODULES = (
    "code_deps",
    "config",
    "locks",
    "download",
    "captions",
    "provenance",
    "device",
    "profiles",
    "signals",
    "cost",
    "rates",
    "threads",
)
# The science lives in the importable package lindae. Parsing imports it from LIBRARY; rule
# scripts find it on their own (the preamble of workflow/scripts/*.py: the checkout's src/,
# else .snakemake/lindae/src), so nothing relies on Snakemake handing its sys.path, project
# venv included, to script jobs. src/ is on sys.path only while these imports run.
LIBRARY_ROOT, CHECKOUT = _library_source()
LIBRARY = LIBRARY_ROOT / "lindae"
# Where the scripts are: a folder, or a folder of the remote source.
SCRIPTS = (
    CHECKOUT / "workflow" / "scripts"
    if CHECKOUT is not None
    else RULES_SOURCE.join("../scripts")
)
# Parsing writes nothing outside .snakemake/ (tests/workflow/test_parse_purity.py): no
# __pycache__ in the checkout from the imports below. Script jobs are their own processes.
sys.dont_write_bytecode = True
sys.path.insert(0, str(LIBRARY_ROOT))
try:
    from lindae.workflow.captions import claims_summary
    from lindae.workflow.code_deps import job_path, library_dependencies
    from lindae.workflow.config_datasets import (
        PAPER_DATASETS,
        configured_facts,
        dataset_preprocessing,
        sampled_noise_datasets,
    )
    from lindae.workflow.cost import (
        chain_priority,
        checkpoint_epoch,
        download_minutes,
        estimate_lines,
        runtime_minutes,
        training_epochs,
        uses_torch,
    )
    from lindae.workflow.rates import measure_rates
    from lindae.limits import (
        data_job_mem_mb,
        dataset_job_mem_mb,
        plot_job_mem_mb,
        training_job_mem_mb,
    )
    from lindae.workflow.config import ConfigError, check_config
    from lindae.workflow.download import (
        describe_source,
        download_limits,
        resolve_settings,
        source_inputs,
    )
    from lindae.workflow.device import DeviceError, gpus_given, training_device
    from lindae.workflow.locks import clear_stale_locks, register_run
    from lindae.workflow.profiles import dropped_entries, profile_arguments
    from lindae.workflow.signals import stop_like_ctrl_c, wrap_execute
    from lindae.workflow.threads import job_threads_of
    from lindae.figures import REGISTRY
    from lindae.half_times import (
        analysed_datasets,
        analysis_problems,
        analysis_settings,
    )
    from lindae.models import MODELS, nonlinear_regularisers
    from lindae.tables import SUFFIXES
finally:
    sys.path.remove(str(LIBRARY_ROOT))

# `--config figures=[1,2]` hands over strings; the schema (and figure_outputs) want integers.
if isinstance(config.get("figures"), list):
    config["figures"] = [
        int(f) if isinstance(f, str) and f.strip().isdigit() else f
        for f in config["figures"]
    ]
RESULTS = config.get("results_dir", "results")
# Every configured dataset (download, spectrum and training rules); the paper's Figs 5-6 and
# their companions (spectra, sampled noise) keep their published layout on these two.
DATASETS = list(config["datasets"]) if isinstance(config.get("datasets"), dict) else []
PAPER_DATASETS = list(PAPER_DATASETS)  # ["mnist", "cifar10"]


def compute_threads():
    """Threads of the spectrum and training rules: the count their jobs compute with
    (``compute_threads``; lindae.workflow.threads), so 1 lets two such jobs share 2 cores.
    """
    return job_threads_of(config)


def fail(message):
    """Stop while parsing with one line on stderr (no traceback): a user's error, not a bug."""
    sys.exit(f"lindae: error: {message}")


def check_profiles():
    """Refuse to plan when a command-line option silently replaced entries of a profile
    (Snakemake keeps only one of them: ``--config`` drops the profile's whole ``config:``),
    naming each lost entry (lindae.workflow.profiles). Main process only: jobs get their
    settings from it."""
    if not workflow.is_main_process:
        return
    import yaml
    from snakemake.cli import get_profile_dir

    problems = []
    for name in profile_arguments(sys.argv, os.environ):
        try:
            found = get_profile_dir(name)
            with open(found[1], encoding="utf-8") as handle:
                profile = yaml.safe_load(handle) or {}
        except (TypeError, OSError, yaml.YAMLError):
            continue  # not found or not plain YAML: Snakemake itself reports what it can
        if not isinstance(profile, dict):
            continue
        lines = dropped_entries(
            profile,
            workflow.config_settings.config.keys(),
            workflow.resource_settings.overwrite_resources,
            workflow.config_settings.configfiles,
            found[1].parent,
        )
        problems += [f"profile {found[1]}: {line}" for line in lines]
    if problems:
        fail("\n  ".join(["settings of a profile would be dropped:", *problems]))


check_profiles()


def check_settings(schema):
    """Check every setting before any job (lindae.workflow.config): the config files read (a
    key given twice), --config strings converted, each value and what only makes sense
    together; a problem ends the run with one line per problem. The colours need matplotlib
    (0.25 s): checked once, by the main process (its jobs re-parse)."""
    try:
        check_config(
            config,
            schema,
            files=workflow.configfiles,
            colours=workflow.is_main_process,
        )
    except ConfigError as error:
        fail(str(error))


# --- devices of the training jobs (lindae.workflow.device) ---------------------------------


def _set_resources(rule):
    """The ``set-resources`` in effect for ``rule`` (a profile's or the command line's)."""
    overrides = workflow.resource_settings.overwrite_resources.get(rule, {})
    return {name: getattr(value, "raw", value) for name, value in overrides.items()}


def gpu_request(rule):
    """The training rule's own ``gpu`` resource: 1 for ``device: cuda`` (a workstation limits
    them with --resources gpu=N), else 0; 0 too when set-resources asks for GPUs through
    ``gres`` (the SLURM executor refuses both). A ``gpu`` in set-resources replaces it.
    """
    given = _set_resources(rule)
    if "gpu" in given:
        return given["gpu"]
    if gpus_given(given):
        return 0
    return 1 if config["device"] == "cuda" else 0


def training_gpus(rule):
    """How many GPUs a job of training ``rule`` gets from the scheduler."""
    try:
        return gpus_given(_set_resources(rule)) or int(gpu_request(rule))
    except DeviceError as error:
        fail(f"set-resources {rule}: {error}")


def granted_gpus(rule):
    """The GPUs a profile's or the command line's set-resources grant training ``rule``
    (the job checks it sees them; a plain device: cuda is checked by the trainer)."""
    return gpus_given(_set_resources(rule))


def device_of(rule):
    """The device a job of training ``rule`` trains on: ``cuda`` when its job is given a
    GPU (even under device: auto), else the config's ``device``; device: cpu with a GPU
    given stops here, before any job."""
    try:
        return training_device(
            config["device"], training_gpus(rule), f"set-resources {rule}"
        )
    except DeviceError as error:
        fail(str(error))


def host_path(path):
    """A path of an input or output as a job's params must name it: Snakemake adds a module's
    prefix to inputs and outputs only (unchanged outside a module)."""
    return workflow.modifier.path_modifier.replace_prefix(path)


# RESULTS as seen from the working directory: with the prefix of a `module` (prefix: ...)
# that Snakemake adds to the rules' inputs and outputs, but not to params or captions.
HOST_RESULTS = host_path(RESULTS)
# Report captions of the figures, written with the claims' verdicts by rule claims. Snakemake
# resolves a caption relative to the rule file, so it gets an absolute path.
CAPTIONS = f"{RESULTS}/report/captions.rst"
CAPTIONS_ABSOLUTE = str(Path(HOST_RESULTS, "report", "captions.rst").resolve())
VARIANT = {suffix: variant for variant, suffix in SUFFIXES.items()}
# Job sizes of the figure data jobs (mem_mb, runtime in min) from the benchmarks with ~2x
# headroom; the others take 1 GB and 5 min.
DATA_SIZES = {"fig6": (2000, 10)}


wildcard_constraints:
    stem="|".join(REGISTRY),
    suffix="|_corrected",
    dataset="|".join(DATASETS),
    model="|".join(MODELS),


def report_stale_locks(pids):
    """Say on stderr that the locks of a killed run were removed (pids: lindae.workflow.locks)."""
    if pids:
        who = ", ".join(str(pid) for pid in pids if pid) or "unknown"
        print(
            f"lindae: removed the Snakemake locks left by a killed run (pid {who}); "
            "its incomplete jobs are redone (rerun-incomplete)",
            file=sys.stderr,
        )


def prepare_real_run():
    """What a run must do before Snakemake locks the working directory: remove the locks a
    killed run left behind (so the next run just works), then register this process as a
    possible lock holder, so that a later run never removes a live run's locks.
    """
    report_stale_locks(clear_stale_locks())
    register_run()


def before_execution(action):
    """Call ``action()`` when Snakemake starts executing jobs for real, before it locks, and
    end a run stopped by SIGTERM with one clear line (lindae.workflow.signals.wrap_execute).

    Snakemake has no hook early enough: ``onstart`` runs once the directory is locked, and
    while the Snakefile is parsed even ``workflow.dryrun`` is not known yet (it is False
    until execution starts, also with -n). So ``workflow.execute`` is wrapped: a dry run (-n)
    and whatever never executes (--lint, --list-target-rules, --summary, --report, --unlock)
    leave ``action`` uncalled.
    """
    workflow.execute = wrap_execute(workflow.execute, action)


def on_start():
    """When jobs are about to run (``onstart``, after Snakemake installed its own SIGTERM
    handler, which waits for the running jobs): SIGTERM stops the run like Ctrl-C."""
    if workflow.is_main_process:
        stop_like_ctrl_c()
        print_run_time_estimate()


def print_run_time_estimate():
    """Say how long the jobs about to run will take here, per stage (lindae.workflow.cost):
    the job graph is built, so these are exactly the jobs that will run."""
    if not config["estimate_run_time"]:
        return
    jobs = [
        (job.rule.name, job.wildcards_dict, job.threads)
        for job in workflow.dag.needrun_jobs()
        if not job.is_norun  # target rules (all, figN): nothing runs
    ]
    threads = min(config["compute_threads"] or workflow.cores, os.cpu_count() or 1)
    rates = measure_rates(threads, torch=uses_torch(jobs, config))
    for line in estimate_lines(
        jobs, config, workflow.cores, rates, resumed_epochs(jobs)
    ):
        print(line, file=sys.stderr)


def resumed_epochs(jobs):
    """Index -> epoch of the training jobs (rule, wildcards, threads) that find a checkpoint,
    when checkpoints are on: they go on from there."""
    if not any(config["checkpoint"].values()):
        return {}
    found = {}
    for index, (rule, wildcards, _) in enumerate(jobs):
        if training_epochs(rule, config) is not None:
            epoch = checkpoint_epoch(checkpoint_path(rule, wildcards))
            if epoch:
                found[index] = epoch
    return found


def code_inputs(script):
    """Library files that workflow/scripts/<script>.py imports, directly or transitively, as
    inputs of its rule: editing one reruns exactly the jobs that use it. Paths as
    ``job_path`` writes them, so a copied or moved checkout plans the same jobs (nothing reruns).
    A remote source's files are the copies in REMOTE_LIBRARY (relative to the working directory).
    """
    if CHECKOUT is None:
        source = _read_remote(SCRIPTS.join(f"{script}.py"))
        # local(): a module's prefix must not move them (they are the working directory's)
        return [
            local(str(path)) for path in _materialise(_imported_modules(source, None))
        ]
    files = library_dependencies(SCRIPTS / f"{script}.py", [LIBRARY.parent])
    return [job_path(path, CHECKOUT) for path in files]


def sized(message, gpu=None):
    """A job message ending with the job's size, so that a dry run (-n) lists what each job
    asks a scheduler for (Snakemake prints a rule's message in place of its resources); for
    a training rule ``gpu`` (its name), also the GPUs it asks for, when it does.
    """
    size = (
        "threads={threads}, mem_mb={resources.mem_mb}, runtime={resources.runtime} min"
    )
    if gpu is not None and training_gpus(gpu):
        size += (
            ", gpu={resources.gpu}" if gpu_request(gpu) else ", gres={resources.gres}"
        )
    return f"{message} [{size}]"


def figure_outputs(*figures):
    """Every file of the given paper figures (numbers) or figure families (``"analysis"``) in
    every configured rendering, with their companions (registry entries of the same family)
    and agreement tables."""
    families = {str(family) for family in figures}
    outputs = []
    for figure in REGISTRY.values():
        if figure.family not in families or not figure_is_built(figure):
            continue
        for variant in figure.variants:
            if len(figure.variants) > 1 and variant not in config["variants"]:
                continue
            suffix = figure.suffix(variant)
            outputs += [
                figure_file(figure, ending, suffix) for ending in (".pdf", ".png")
            ]
            outputs += figure_table_files(figure, suffix).values()
            if figure.has_notes:
                outputs.append(figure_file(figure, "_notes.json", suffix))
        if figure.has_agreement:
            outputs.append(f"{RESULTS}/{figure.stem}_agreement.csv")
    return outputs


def figure_is_built(figure):
    """Whether the config builds a figure at all (the sampled-noise one can be disabled)."""
    return "sampled" not in figure.inputs or bool(sampled_runs()[0])


def final_outputs():
    """What `all` builds: the configured figures, the claims and the provenance record."""
    return [
        *figure_outputs(*config["figures"]),
        f"{RESULTS}/claims.csv",
        f"{RESULTS}/provenance.json",
    ]


def write_caption_placeholder():
    """`--report` reads the captions file for every figure, also after a run of single figure
    targets that never checked the claims: until rule claims writes it, a placeholder says so.
    Called when a run ends (never while parsing: -n writes nothing), once figures exist.
    """
    captions = Path(CAPTIONS_ABSOLUTE)
    if captions.exists() or not (Path(HOST_RESULTS) / "figures").is_dir():
        return
    captions.parent.mkdir(parents=True, exist_ok=True)
    captions.write_text(
        "Claims not checked yet: the main job (`make figures`, target `all`) checks each "
        "figure's claims and writes the full caption.\n"
    )


def report_failed_claims():
    """After a run: print the claims' summary (evaluated, passed, failed, not evaluated) and
    those that did not pass (they never stop the workflow). Snakemake runs no onsuccess of a
    module: there the claims job's own output says it."""
    path = Path(HOST_RESULTS) / "claims.csv"
    if path.exists():
        import pandas as pd

        print(claims_summary(pd.read_csv(path)), file=sys.stderr)


def dataset_entry(section, dataset):
    """``config[section][dataset]`` of a per-dataset map (e.g. ``linear.hidden``); a missing
    entry stops here, naming the key, before any job."""
    path, values = section.split("."), config
    for part in path:
        values = values[part]
    if dataset not in values:
        fail(
            f"{section}.{dataset}: missing; a job on dataset {dataset} needs it "
            "(config/README.md)"
        )
    return values[dataset]


def preprocessing_of(dataset):
    """How ``dataset``'s pixels become X (``datasets.<name>.preprocessing``, default scale):
    a parameter of each job that builds X, so changing it reruns that dataset's jobs."""
    return dataset_preprocessing(dataset_entry("datasets", dataset))


def linear_settings(dataset=None):
    """The `linear` config the paper's models depend on (not the sampled-noise extra); for one
    dataset, only its own hidden size and learning rate, so other datasets' edits rerun nothing
    (auto_lr_fraction only where its lr is auto, the job then derives it from the spectrum).
    """
    settings = {k: v for k, v in config["linear"].items() if k != "sampled_noise"}
    if dataset is not None:
        settings["hidden"] = dataset_entry("linear.hidden", dataset)
        # no entry: derived from the spectrum, as for `auto` (recorded in the run)
        settings["lr"] = config["linear"]["lr"].get(dataset, "auto")
        settings["preprocessing"] = preprocessing_of(dataset)
    if dataset is not None and settings["lr"] != "auto":
        del settings["auto_lr_fraction"]
    return settings


def missing_paper_datasets():
    """The paper's datasets (Figs 5-6) that are not configured."""
    return [name for name in PAPER_DATASETS if name not in DATASETS]


def check_paper_datasets(needed=False):
    """Stop, naming them, when Figs 5 or 6 are asked for (``figures``, or a job of theirs is
    ``needed``) and a paper dataset is not configured: their layout is the published one.
    """
    missing = missing_paper_datasets()
    asked = needed or {5, 6} & set(config["figures"])
    if missing and asked:
        fail(
            f"datasets.{missing[0]}: missing; Figs 5-6 draw the paper's datasets "
            f"({', '.join(PAPER_DATASETS)}): configure {', '.join(missing)} or leave 5 and 6 "
            "out of figures"
        )
    return []


# --- sizes of the dataset jobs, from each dataset's size (lindae.workflow.config_datasets) --

_FACTS = {}


def dataset_facts(dataset):
    """Training-set size and image shape of ``dataset`` (None while its import file is
    missing), read once, after the config was checked."""
    if not _FACTS:
        _FACTS.update(configured_facts(config))
    return _FACTS.get(dataset)


def dataset_mem_mb(rule, dataset):
    """Memory (MB) of a job of ``rule`` (download, spectrum, training) on ``dataset``."""
    facts = dataset_facts(dataset)
    if facts is None:  # its import file is missing: Snakemake names it, nothing runs
        return 1000
    size = (facts.train_count, facts.dimension)
    if rule.startswith("train_"):
        return training_job_mem_mb(rule, dataset, config, *size)
    return dataset_job_mem_mb(rule, dataset, config, *size)


def dataset_runtime(rule, floor):
    """Time limit (min) of the jobs of ``rule``: from their estimate (lindae.workflow.cost),
    at least ``floor``."""
    return lambda wildcards: runtime_minutes(rule, wildcards, config, floor)


def priority_of(rule):
    """Snakemake priority of the jobs of ``rule``: the estimated length of the longest chain
    of jobs that waits on each (lindae.workflow.cost.chain_priority), so long chains start
    first."""
    return lambda wildcards: chain_priority(rule, wildcards, config)


def download_runtime(dataset):
    """Time limit (min) of downloading ``dataset``: from the size of its images."""
    facts = dataset_facts(dataset)
    return download_minutes(facts.train_count, facts.dimension) if facts else 30


def plot_style():
    """The config's ``style`` for the plot jobs, with each dataset's title
    (``datasets.<name>.title``, else its name) for the figures' panel titles."""
    titles = {
        name: entry.get("title", name) for name, entry in config["datasets"].items()
    }
    return {**config["style"], "dataset_titles": titles}


def checkpoint_path(rule, wildcards):
    """The checkpoint of a training job: under results_dir, not among its outputs."""
    name = "_".join(
        wildcards[key] for key in ("dataset", "model") if key in wildcards.keys()
    )
    return f"{RESULTS}/checkpoints/{rule}/{name}.pt"


def monitoring_options():
    """The config's progress and checkpoint sections, as the training scripts read them."""
    return {"progress": config["progress"], "checkpoint": config["checkpoint"]}


def nonlinear_settings(dataset, model):
    """The `nonlinear` config of one ReLU model on one dataset: the dataset's hidden size
    (and preprocessing), and only the model's own regularisers (the AE: no noise, no weight
    decay; ``noise_std`` may be given per dataset), so that changing the noise reruns the DAEs
    alone and changing the weight decay the WDAEs alone."""
    settings = dict(config["nonlinear"])
    settings["hidden"] = dataset_entry("nonlinear.hidden", dataset)
    settings["preprocessing"] = preprocessing_of(dataset)
    if isinstance(settings["noise_std"], dict):  # one per dataset: this dataset's
        settings["noise_std"] = dataset_entry("nonlinear.noise_std", dataset)
    noise_std, weight_decay = nonlinear_regularisers(model, settings)
    return {**settings, "noise_std": noise_std, "weight_decay": weight_decay}


def nonlinear_runs(datasets=None):
    """(dataset, model) pairs and the training records of Fig. 6, in matching order."""
    keys = [
        [dataset, model] for dataset in datasets or PAPER_DATASETS for model in MODELS
    ]
    return keys, [
        f"{RESULTS}/nonlinear/{dataset}_{model}.npz" for dataset, model in keys
    ]


def linear_runs(datasets=None):
    """(dataset, model) pairs and the training records of Fig. 5 (of ``datasets``, default
    the paper's), in matching order."""
    keys = [
        [dataset, model] for dataset in datasets or PAPER_DATASETS for model in MODELS
    ]
    return keys, [f"{RESULTS}/linear/{dataset}_{model}.npz" for dataset, model in keys]


def sampled_runs():
    """Datasets and records of the sampled-noise DAE (empty when disabled)."""
    datasets = sampled_noise_datasets(config)
    return datasets, [f"{RESULTS}/linear/{d}_DAE-sampled.npz" for d in datasets]


# --- figures: files, inputs and report fields derived from the registry -------------------


def figure_file(figure, ending, suffix="{suffix}", folder="figures"):
    """Path of one of a figure's files; single-rendering figures have no suffix."""
    suffix = suffix if len(figure.variants) > 1 else ""
    return f"{RESULTS}/{folder}/{figure.stem}{suffix}{ending}"


def figure_table_files(figure, suffix="{suffix}"):
    """Table name -> CSV path of one rendering (``curves`` is figN.csv itself)."""
    return {
        name: figure_file(
            figure, ".csv" if name == "curves" else f"_{name}.csv", suffix
        )
        for name in figure.table_names()
    }


def figure_variant(figure):
    """The rendering a job draws: from the suffix wildcard, or a figure's only one."""
    if len(figure.variants) == 1:
        return figure.variants[0]
    return lambda wildcards: VARIANT[wildcards.suffix]


def figure_inputs(kinds, trainer, datasets=None):
    """(files by kind, load_inputs arguments) of the upstream artefacts a job needs, for the
    paper's datasets or the given ``datasets`` (the analysis figures')."""
    runs = {"linear": linear_runs, "nonlinear": nonlinear_runs}.get(trainer)
    files, keys = {}, {}
    if kinds and missing_paper_datasets():  # such a job, when asked for, stops: named
        files["datasets"] = lambda wildcards: check_paper_datasets(needed=True)
    if "spectra" in kinds:
        names = PAPER_DATASETS if datasets is None else datasets
        files["spectra"] = [f"{RESULTS}/spectra/{d}.npz" for d in names]
        keys["spectra"] = dict(zip(names, map(host_path, files["spectra"])))
    if "runs" in kinds:
        run_keys, files["runs"] = runs(datasets)
        keys["runs"] = list(zip(map(tuple, run_keys), map(host_path, files["runs"])))
    if "sampled" in kinds:
        sampled, files["sampled"] = sampled_runs()
        keys["sampled"] = dict(zip(sampled, map(host_path, files["sampled"])))
    if "half_times" in kinds:
        files["half_times"] = [half_time_record(d) for d in datasets]
        keys["half_times"] = dict(zip(datasets, map(host_path, files["half_times"])))
    return files, keys


def figure_datasets(figure):
    """The datasets a figure is drawn for: the analysed ones for the analysis figures, else
    None (the paper's)."""
    return None if figure.family.isdigit() else analysed_datasets(config)


def half_time_record(dataset):
    """The half-time ratio record of one dataset (target analysis)."""
    return f"{RESULTS}/analysis/{dataset}_half_times.npz"


def data_group(figure, kind):
    """Cluster bundle: data-free figures' tables ("theory") and plots ("plots"); a figure on
    real data goes with its paper figure (fig5, fig6)."""
    if not figure.inputs:
        return "theory" if kind == "data" else "plots"
    return f"fig{figure.family}" if figure.family.isdigit() else figure.family


def plot_inputs(wildcards):
    return figure_table_files(REGISTRY[wildcards.stem], wildcards.suffix)


def plot_variant(wildcards):
    variants = REGISTRY[wildcards.stem].variants
    return variants[0] if len(variants) == 1 else VARIANT[wildcards.suffix]


def plot_category(wildcards):
    family = REGISTRY[wildcards.stem].family
    return f"Fig. {family}" if family.isdigit() else f"Beyond the paper: {family}"


def plot_labels(wildcards):
    figure = REGISTRY[wildcards.stem]
    if len(figure.variants) == 1:
        return {"rendering": f"{figure.title} (beyond the paper)"}
    return {"rendering": VARIANT[wildcards.suffix]}


def claim_inputs(path=str, stems=None):
    """Rendering -> table name -> CSV path (``path(...)`` of it), for every configured paper
    figure (companions state no claims), or for the figures ``stems`` (their renderings).
    """
    tables = {}
    for stem in stems or [f"fig{number}" for number in config["figures"]]:
        figure = REGISTRY[stem]
        variants = config["variants"] if len(figure.variants) > 1 else figure.variants
        for variant in variants:
            suffix = figure.suffix(variant)
            paths = figure_table_files(figure, suffix)
            if figure.has_agreement:
                paths["agreement"] = f"{RESULTS}/{figure.stem}_agreement.csv"
            tables[figure.stem + suffix] = {k: path(v) for k, v in paths.items()}
    return tables
