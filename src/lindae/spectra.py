"""Uncentred second-moment spectra of a data matrix (docs/data.md), in float64.

Sigma_bar = X^T X / N (no centring, no whitening) is formed with one matrix product and
decomposed with a symmetric eigensolver; eigenvalues are returned in descending order. The
artefact is reused by every later job (training, theory, the Fig. 6 metric).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .io import atomic_path
from .lazy import lazy_import

if TYPE_CHECKING:
    from numpy.typing import NDArray

np = lazy_import("numpy")

__all__ = ["Spectrum", "second_moment_spectrum", "save_spectrum", "load_spectrum"]


@dataclass(frozen=True)
class Spectrum:
    """Eigen-decomposition of the per-sample second moment Sigma_bar = V diag(eigenvalues) V^T."""

    dataset: str
    n_samples: int
    eigenvalues: NDArray[np.float64]  # descending, shape (D,)
    eigenvectors: NDArray[np.float64]  # columns v_i, shape (D, D)
    trace: float  # tr(Sigma_bar), from the matrix itself (not the eigenvalue sum)

    @property
    def dimension(self) -> int:
        return int(self.eigenvalues.shape[0])


def second_moment_spectrum(data: NDArray, dataset: str = "") -> Spectrum:
    """Spectrum of X^T X / N for X of shape (N, D); one float64 GEMM, then ``eigh``."""
    matrix = np.asarray(data, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise ValueError(f"data must be a non-empty (N, D) matrix, got shape {matrix.shape}")
    n_samples = matrix.shape[0]
    second_moment = matrix.T @ matrix
    second_moment /= n_samples
    trace = float(np.trace(second_moment))
    eigenvalues, eigenvectors = np.linalg.eigh(second_moment)
    order = np.argsort(eigenvalues)[::-1]
    return Spectrum(dataset, n_samples, eigenvalues[order], eigenvectors[:, order].copy(), trace)


def save_spectrum(spectrum: Spectrum, destination: str | os.PathLike[str]) -> None:
    """Write the spectrum as an ``.npz`` (atomically)."""
    with atomic_path(destination) as temporary, open(temporary, "wb") as handle:
        np.savez(
            handle,
            dataset=np.array(spectrum.dataset),
            n_samples=np.array(spectrum.n_samples),
            eigenvalues=spectrum.eigenvalues,
            eigenvectors=spectrum.eigenvectors,
            trace=np.array(spectrum.trace),
        )


def load_spectrum(path: str | os.PathLike[str]) -> Spectrum:
    """Read a spectrum written by :func:`save_spectrum`."""
    with np.load(Path(path)) as archive:
        return Spectrum(
            dataset=str(archive["dataset"]),
            n_samples=int(archive["n_samples"]),
            eigenvalues=archive["eigenvalues"],
            eigenvectors=archive["eigenvectors"],
            trace=float(archive["trace"]),
        )
