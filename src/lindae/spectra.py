"""Uncentred second-moment spectra of a data matrix (docs/data.md), in float64.

Sigma_bar = X^T X / N (no centring, no whitening) is formed with one matrix product and
decomposed with a symmetric eigensolver; eigenvalues are returned in descending order. The
artefact is reused by every later job (training, theory, the Fig. 6 metric), so the spectrum
job checks it (:func:`check_spectrum`: finite, not zero, enough numerical rank for the modes
the figures ask for) and :func:`load_spectrum` refuses a damaged file, naming it and how to
rebuild it.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UserError
from .io import atomic_path, intermediate_file_error
from .lazy import lazy_import

if TYPE_CHECKING:
    from numpy.typing import NDArray

np = lazy_import("numpy")

__all__ = [
    "Spectrum",
    "SpectrumError",
    "numerical_rank",
    "second_moment_spectrum",
    "check_spectrum",
    "save_spectrum",
    "load_spectrum",
]


class SpectrumError(ValueError, UserError):
    """A dataset's spectrum cannot support the analysis asked for (zero, non-finite, too low
    a rank for the modes the config asks for)."""


@dataclass(frozen=True)
class Spectrum:
    """Eigen-decomposition of the per-sample second moment Sigma_bar = V diag(eigenvalues) V^T."""

    dataset: str
    n_samples: int
    eigenvalues: NDArray[np.float64]  # descending, shape (D,)
    eigenvectors: NDArray[np.float64]  # columns v_i, shape (D, D)
    trace: float  # tr(Sigma_bar), from the matrix itself (not the eigenvalue sum)
    preprocessing: str = "scale"  # how X was built (lindae.data.PREPROCESSING)

    @property
    def dimension(self) -> int:
        return int(self.eigenvalues.shape[0])

    @property
    def rank(self) -> int:
        """Numerical rank of Sigma_bar (:func:`numerical_rank`)."""
        return numerical_rank(self.eigenvalues)


def numerical_rank(eigenvalues: NDArray) -> int:
    """How many eigenvalues of a D x D second moment exceed lambda_bar_1 * D * eps (float64):
    numpy's ``matrix_rank`` tolerance. Below it an eigenvalue and its eigenvector are rounding
    noise of the eigensolver, not a direction of the data."""
    values = np.asarray(eigenvalues, dtype=np.float64)
    if values.size == 0 or not values[0] > 0:
        return 0
    tolerance = values[0] * values.size * np.finfo(np.float64).eps
    return int(np.count_nonzero(values > tolerance))


def second_moment_spectrum(
    data: NDArray, dataset: str = "", preprocessing: str = "scale"
) -> Spectrum:
    """Spectrum of X^T X / N for X of shape (N, D); one float64 GEMM, then ``eigh``.
    ``preprocessing`` (how X was built from the pixels) is only recorded."""
    matrix = np.asarray(data, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise ValueError(f"data must be a non-empty (N, D) matrix, got shape {matrix.shape}")
    n_samples = matrix.shape[0]
    second_moment = matrix.T @ matrix
    second_moment /= n_samples
    trace = float(np.trace(second_moment))
    eigenvalues, eigenvectors = np.linalg.eigh(second_moment)
    order = np.argsort(eigenvalues)[::-1]
    return Spectrum(
        dataset, n_samples, eigenvalues[order], eigenvectors[:, order].copy(), trace, preprocessing
    )


def check_spectrum(spectrum: Spectrum, source: str, modes: Mapping[str, int] | None = None) -> None:
    """Refuse a spectrum the analysis cannot use, naming ``source`` (the data file).

    Its eigenvalues must be finite and not all zero, and its numerical rank must reach every
    mode in ``modes`` (config key -> largest 1-based mode it asks for, e.g.
    ``{"fig5.modes": 32}``): a mode beyond the rank has an eigenvalue of rounding noise and an
    arbitrary eigenvector, and its curves would look like results.
    """
    where = f"{source}: the {spectrum.dataset or 'data'} training subset (N = {spectrum.n_samples})"
    if not np.isfinite(spectrum.eigenvalues).all():
        raise SpectrumError(f"{where} has non-finite eigenvalues; check the data file")
    rank = spectrum.rank
    if rank == 0:
        raise SpectrumError(
            f"{where} has a zero second moment (all eigenvalues 0): every pixel is 0; "
            "export the real images"
        )
    for key, mode in (modes or {}).items():
        if mode > rank:
            raise SpectrumError(
                f"{where} has numerical rank {rank} (eigenvalues of Sigma_bar above "
                f"{spectrum.eigenvalues[0] * spectrum.dimension * np.finfo(float).eps:.3g}), "
                f"but {key} asks for mode {mode}: modes beyond the rank are rounding noise, "
                f"not directions of the data; use more images (datasets.{spectrum.dataset}."
                f"subset) or modes up to {rank}"
            )


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
            preprocessing=np.array(spectrum.preprocessing),
        )


def load_spectrum(path: str | os.PathLike[str]) -> Spectrum:
    """Read a spectrum written by :func:`save_spectrum`.

    A missing, truncated or inconsistent file (shapes, non-finite values) raises
    :class:`lindae.io.IntermediateFileError` naming it and how to rebuild it.
    """
    try:
        with np.load(Path(path), allow_pickle=False) as archive:
            spectrum = Spectrum(
                dataset=str(archive["dataset"]),
                n_samples=int(archive["n_samples"]),
                eigenvalues=archive["eigenvalues"],
                eigenvectors=archive["eigenvectors"],
                trace=float(archive["trace"]),
                # spectra written before the option: the paper's scaling
                preprocessing=(
                    str(archive["preprocessing"]) if "preprocessing" in archive else "scale"
                ),
            )
    except FileNotFoundError:
        raise intermediate_file_error(path, "spectrum", "no such file", "spectrum") from None
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
        problem = f"not a readable spectrum: {type(error).__name__}: {error}"
        raise intermediate_file_error(path, "spectrum", problem, "spectrum") from error
    dimension = spectrum.eigenvalues.shape[0] if spectrum.eigenvalues.ndim == 1 else -1
    problem = None
    if dimension < 1 or spectrum.eigenvectors.shape != (dimension, dimension):
        problem = (
            f"eigenvalues of shape {spectrum.eigenvalues.shape} do not match eigenvectors of "
            f"shape {spectrum.eigenvectors.shape}"
        )
    elif not (np.isfinite(spectrum.eigenvalues).all() and np.isfinite(spectrum.eigenvectors).all()):
        problem = "it holds non-finite values"
    elif spectrum.n_samples < 1:
        problem = f"n_samples = {spectrum.n_samples}"
    if problem is not None:
        raise intermediate_file_error(path, "spectrum", problem, "spectrum")
    return spectrum
