# Linear AE / WDAE / DAE on real data (Fig. 5): one job per dataset and model, so a cluster
# runs them side by side.


rule train_linear:
    input:
        spectrum=f"{RESULTS}/spectra/{{dataset}}.npz",
        arrays=f"{RESULTS}/data/{{dataset}}.npz",
        code=code_inputs("train_linear"),
    output:
        run=f"{RESULTS}/linear/{{dataset}}_{{model}}.npz",
    log:
        f"{RESULTS}/logs/train_linear/{{dataset}}_{{model}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_linear/{{dataset}}_{{model}}.tsv"
    priority: priority_of("train_linear")
    conda:
        "../../envs/train.yaml"
    threads: compute_threads()
    resources:
        mem_mb=lambda wildcards: dataset_mem_mb("train_linear", wildcards.dataset),
        runtime=dataset_runtime("train_linear", floor=10),
        gpu=gpu_request("train_linear"),
    params:
        settings=lambda wildcards: linear_settings(wildcards.dataset),
        u0_top_k=config["fig5"]["u0_top_k"],
        device=device_of("train_linear"),
        # GPUs granted by set-resources, checked by the job (input function: no rerun trigger)
        gpus=lambda wildcards, input: granted_gpus("train_linear"),
        # checkpoint file, progress and checkpoint intervals: never rerun triggers (functions
        # of the input), and outside the outputs (Snakemake deletes a failed job's outputs)
        checkpoint=lambda wildcards, input: checkpoint_path("train_linear", wildcards),
        monitoring=lambda wildcards, input: monitoring_options(),
    message:
        sized(
            "Training the linear {wildcards.model} on {wildcards.dataset} "
            "({params.settings[algorithm]} GD, {params.settings[epochs]} epochs)",
            gpu="train_linear",
        )
    script:
        "../scripts/train_linear.py"


rule train_sampled_noise:
    input:
        spectrum=f"{RESULTS}/spectra/{{dataset}}.npz",
        arrays=f"{RESULTS}/data/{{dataset}}.npz",
        code=code_inputs("train_sampled_noise"),
    output:
        run=f"{RESULTS}/linear/{{dataset}}_DAE-sampled.npz",
    log:
        f"{RESULTS}/logs/train_sampled_noise/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_sampled_noise/{{dataset}}.tsv"
    priority: priority_of("train_sampled_noise")
    conda:
        "../../envs/train.yaml"
    threads: compute_threads()
    resources:
        mem_mb=lambda wildcards: dataset_mem_mb(
            "train_sampled_noise", wildcards.dataset
        ),
        runtime=dataset_runtime("train_sampled_noise", floor=15),
        gpu=gpu_request("train_sampled_noise"),
    params:
        settings=lambda wildcards: linear_settings(wildcards.dataset),
        sampled=config["linear"]["sampled_noise"],
        u0_top_k=config["fig5"]["u0_top_k"],
        device=device_of("train_sampled_noise"),
        gpus=lambda wildcards, input: granted_gpus("train_sampled_noise"),
        # checkpoint file, progress and checkpoint intervals: never rerun triggers (functions
        # of the input), and outside the outputs (Snakemake deletes a failed job's outputs)
        checkpoint=lambda wildcards, input: checkpoint_path(
            "train_sampled_noise", wildcards
        ),
        monitoring=lambda wildcards, input: monitoring_options(),
    message:
        sized(
            "Training the linear DAE with sampled noise on {wildcards.dataset}",
            gpu="train_sampled_noise",
        )
    script:
        "../scripts/train_sampled_noise.py"


rule train_nonlinear:
    input:
        spectrum=f"{RESULTS}/spectra/{{dataset}}.npz",
        arrays=f"{RESULTS}/data/{{dataset}}.npz",
        code=code_inputs("train_nonlinear"),
    output:
        run=f"{RESULTS}/nonlinear/{{dataset}}_{{model}}.npz",
    log:
        f"{RESULTS}/logs/train_nonlinear/{{dataset}}_{{model}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_nonlinear/{{dataset}}_{{model}}.tsv"
    priority: priority_of("train_nonlinear")
    conda:
        "../../envs/train.yaml"
    threads: compute_threads()
    resources:
        mem_mb=lambda wildcards: dataset_mem_mb("train_nonlinear", wildcards.dataset),
        runtime=dataset_runtime("train_nonlinear", floor=60),
        gpu=gpu_request("train_nonlinear"),
    params:
        settings=lambda wildcards: nonlinear_settings(
            wildcards.dataset, wildcards.model
        ),
        device=device_of("train_nonlinear"),
        gpus=lambda wildcards, input: granted_gpus("train_nonlinear"),
        # checkpoint file, progress and checkpoint intervals: never rerun triggers (functions
        # of the input), and outside the outputs (Snakemake deletes a failed job's outputs)
        checkpoint=lambda wildcards, input: checkpoint_path(
            "train_nonlinear", wildcards
        ),
        monitoring=lambda wildcards, input: monitoring_options(),
    message:
        sized(
            "Training the ReLU {wildcards.model} on {wildcards.dataset} "
            "({params.settings[epochs]} epochs of full-batch SGD)",
            gpu="train_nonlinear",
        )
    script:
        "../scripts/train_nonlinear.py"
