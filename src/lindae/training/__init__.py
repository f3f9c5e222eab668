"""Training of the paper's autoencoders in torch, all through one driver.

:mod:`~lindae.training.driver` runs the epochs, records, detects divergence and times a run;
:mod:`~lindae.training.linear` holds the linear AE / WDAE / DAE trainers (Fig. 5) and
:mod:`~lindae.training.nonlinear` the ReLU autoencoder trainer (Fig. 6).
"""
