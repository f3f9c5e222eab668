"""lindae: learning dynamics of linear denoising autoencoders (Pretorius, Kroon & Kamper 2018).

The science behind the workflow's figures: closed-form per-mode theory (:mod:`lindae.theory`),
the scalar network's gradient descent (:mod:`lindae.scalar`), the figure tables
(:mod:`lindae.curves`), plotting (:mod:`lindae.plotting`), the datasets (:mod:`lindae.data`)
and safe file output (:mod:`lindae.io`). Never imports snakemake; the workflow's own plumbing
(config checks, downloads, locks, provenance, report captions) is :mod:`lindae.workflow`, which
nothing else in the package imports.
"""

__version__ = "0.2.0"
