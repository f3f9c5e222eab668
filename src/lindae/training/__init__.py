"""Training of the paper's autoencoders in torch, all through one driver.

:mod:`~lindae.training.driver` runs the epochs, records and times a run, stopping it when
:mod:`~lindae.training.stability` finds it diverging or oscillating;
:mod:`~lindae.training.linear` holds the linear AE / WDAE / DAE trainers (Fig. 5), started from
:mod:`~lindae.training.linear_init`'s initial weights, and
:mod:`~lindae.training.nonlinear` the ReLU autoencoder trainer (Fig. 6).
"""
