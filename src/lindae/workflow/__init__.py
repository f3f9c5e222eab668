"""Workflow plumbing: what the Snakemake workflow needs around the science, kept apart from it.

Code dependencies of rule scripts (:mod:`.code_deps`), configuration checks (:mod:`.config`),
stale-lock clean-up (:mod:`.locks`), thread pinning (:mod:`.threads`), dataset downloads
(:mod:`.download`), provenance (:mod:`.provenance`) and report captions (:mod:`.captions`).
Nothing here is needed to read or run the science in :mod:`lindae`; nothing here imports
snakemake.
"""
