"""lindae.spectra: the second-moment spectrum, its checks and the reading of its file."""

from __future__ import annotations

import numpy as np
import pytest

from lindae.io import IntermediateFileError
from lindae.spectra import (
    SpectrumError,
    check_spectrum,
    load_spectrum,
    numerical_rank,
    save_spectrum,
    second_moment_spectrum,
)


def _data(rank: int, samples: int = 40, dimension: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random((samples, rank)) @ rng.random((rank, dimension))


def test_spectrum_round_trip_and_rank(tmp_path):
    spectrum = second_moment_spectrum(_data(5), "mnist")
    assert spectrum.rank == numerical_rank(spectrum.eigenvalues) == 5
    save_spectrum(spectrum, tmp_path / "mnist.npz")
    loaded = load_spectrum(tmp_path / "mnist.npz")
    assert np.array_equal(loaded.eigenvalues, spectrum.eigenvalues)
    assert np.array_equal(loaded.eigenvectors, spectrum.eigenvectors)
    assert (loaded.dataset, loaded.n_samples, loaded.rank) == ("mnist", 40, 5)
    assert numerical_rank(np.zeros(4)) == 0


def test_modes_beyond_the_rank_are_refused():
    """Finding 2: a mode asked for beyond the data's rank is rounding noise drawn as a result."""
    spectrum = second_moment_spectrum(_data(5), "cifar10")
    check_spectrum(spectrum, "data/cifar10.npz", {"fig5.modes": 5, "nonlinear.modes": 4})
    with pytest.raises(SpectrumError) as caught:
        check_spectrum(spectrum, "data/cifar10.npz", {"fig5.modes": 8, "nonlinear.modes": 4})
    message = str(caught.value)
    assert message.startswith("data/cifar10.npz: the cifar10 training subset (N = 40) has ")
    assert "numerical rank 5" in message and "fig5.modes asks for mode 8" in message
    assert "datasets.cifar10.subset" in message and "modes up to 5" in message


def test_a_zero_or_non_finite_spectrum_is_refused():
    zero = second_moment_spectrum(np.zeros((6, 4)), "cifar10")
    with pytest.raises(SpectrumError, match="zero second moment"):
        check_spectrum(zero, "data/cifar10.npz")
    broken = second_moment_spectrum(_data(3), "mnist")
    broken.eigenvalues[1] = np.nan
    with pytest.raises(SpectrumError, match="non-finite eigenvalues"):
        check_spectrum(broken, "data/mnist.npz")


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda path: path.write_bytes(b"PK\x03\x04 cut short"), "not a readable spectrum"),
        (lambda path: path.write_bytes(b""), "not a readable spectrum"),
        (lambda path: np.savez(path, eigenvalues=np.ones(3)), "not a readable spectrum"),
        (lambda path: path.unlink(), "no such file"),
    ],
    ids=["truncated", "empty", "missing-arrays", "absent"],
)
def test_an_unreadable_spectrum_names_itself_and_the_rebuild(tmp_path, damage, expected):
    path = tmp_path / "spectra" / "mnist.npz"
    save_spectrum(second_moment_spectrum(_data(3), "mnist"), path)
    damage(path)
    with pytest.raises(IntermediateFileError) as caught:
        load_spectrum(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot use this spectrum (") and expected in message
    assert message.endswith(
        "it is an intermediate file: delete it and run the workflow again, which rebuilds it, "
        "or run again with --forcerun spectrum"
    )


def test_an_inconsistent_spectrum_file_is_refused(tmp_path):
    spectrum = second_moment_spectrum(_data(3), "mnist")
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        dataset=np.array("mnist"),
        n_samples=np.array(40),
        eigenvalues=spectrum.eigenvalues,
        eigenvectors=spectrum.eigenvectors[:, :5],
        trace=np.array(spectrum.trace),
    )
    with pytest.raises(IntermediateFileError, match="do not match eigenvectors of shape"):
        load_spectrum(path)
