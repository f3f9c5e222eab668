# lindae: rebuild the figures of "Learning Dynamics of Linear Denoising Autoencoders".
# The workflow lives in workflow/Snakefile (the standard layout the Workflow Catalog reads);
# this file lets `snakemake` run from the repository root. Snakemake does not take a default
# target from an included file, so the root names it: everything `all` builds.


include: "workflow/Snakefile"


rule default:
    default_target: True
    input:
        rules.all.input,
    localrule: True
