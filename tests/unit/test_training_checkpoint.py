"""Resumable training: the checkpoint file (lindae.training.checkpoint) and, per trainer, a
run stopped mid-way and resumed from its checkpoint ends bitwise equal to one never stopped."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from lindae.spectra import second_moment_spectrum
from lindae.training import checkpoint, driver, linear, linear_init, nonlinear
from lindae.training.progress import ProgressMeter

N, D, H = 60, 12, 4
EPOCHS, EVERY, STOP = 90, 20, 47  # the last checkpoint before the stop: epoch 40


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(11)
    data = rng.random((N, D)) * np.linspace(1.0, 0.2, D)
    return data, second_moment_spectrum(data)


# ------------------------------------------------------------------ the checkpoint module


def test_round_trip_keeps_tensors_generator_states_and_numbers(tmp_path):
    messages = []
    saved = checkpoint.Checkpoint(tmp_path / "c.pt", "abc", every_epochs=5, report=messages.append)
    generator = torch.Generator().manual_seed(3)
    generator_state = generator.get_state()
    state = {"w": torch.randn(3, 4, dtype=torch.float64), "g": generator_state, "n": [1, 2.5]}
    saved.save(7, state)
    expected_next = torch.randn(5, generator=generator)
    found = checkpoint.Checkpoint(tmp_path / "c.pt", "abc", 5, report=messages.append).load(10)
    assert found is not None and found[0] == 7
    assert torch.equal(found[1]["w"], state["w"]) and found[1]["n"] == [1, 2.5]
    restored = torch.Generator()
    restored.set_state(found[1]["g"])
    assert torch.equal(torch.randn(5, generator=restored), expected_next)
    assert messages == [f"resuming from checkpoint {tmp_path / 'c.pt'} at epoch 7 of 10"]


def test_a_checkpoint_of_another_run_is_ignored_with_the_reason(tmp_path):
    path = tmp_path / "c.pt"
    checkpoint.Checkpoint(path, "one", every_epochs=5).save(3, {"x": 1})
    messages = []
    assert checkpoint.Checkpoint(path, "two", 5, report=messages.append).load(10) is None
    assert len(messages) == 1 and messages[0].startswith(f"checkpoint {path} ignored: it was ")
    assert "other settings, input files or library code" in messages[0]
    path.write_bytes(b"not a checkpoint")
    assert checkpoint.Checkpoint(path, "two", 5, report=messages.append).load(10) is None
    assert "ignored: it cannot be read" in messages[-1]
    checkpoint.Checkpoint(path, "two", 5).save(30, {"x": 1})  # beyond this run's epochs
    assert checkpoint.Checkpoint(path, "two", 5, report=messages.append).load(10) is None
    assert "its epoch 30 is outside this run's 0..10" in messages[-1]


def test_fingerprint_covers_settings_input_identity_and_code(tmp_path):
    data, code = tmp_path / "data.npz", tmp_path / "trainer.py"
    data.write_bytes(b"1234")
    code.write_text("x = 1\n")
    first = checkpoint.fingerprint({"lr": 0.1, "model": "DAE"}, [data], [code])
    assert first == checkpoint.fingerprint({"model": "DAE", "lr": 0.1}, [data], [code])
    assert first != checkpoint.fingerprint({"lr": 0.2, "model": "DAE"}, [data], [code])
    code.write_text("x = 2\n")
    assert first != checkpoint.fingerprint({"lr": 0.1, "model": "DAE"}, [data], [code])
    code.write_text("x = 1\n")
    data.write_bytes(b"1235")  # other input data, same size
    assert first != checkpoint.fingerprint({"lr": 0.1, "model": "DAE"}, [data], [code])


def test_an_input_rebuilt_with_the_same_bytes_keeps_the_fingerprint(tmp_path):
    """An input written again (e.g. its source file was copied anew and the import reran) has
    a new modification time but the same contents: the checkpoint must stay usable."""
    data, code = tmp_path / "data.npz", tmp_path / "trainer.py"
    data.write_bytes(b"1234" * 1000)
    code.write_text("x = 1\n")
    first = checkpoint.fingerprint({"lr": 0.1}, [data], [code])
    data.unlink()
    data.write_bytes(b"1234" * 1000)
    os.utime(data, ns=(1, 1))
    assert first == checkpoint.fingerprint({"lr": 0.1}, [data], [code])


def test_atomic_save_leaves_no_partial_file_and_remove_deletes(tmp_path, monkeypatch):
    path = tmp_path / "deep" / "c.pt"
    saver = checkpoint.Checkpoint(path, "abc", every_epochs=1)
    saver.save(1, {"x": torch.zeros(2)})

    def broken(obj, target):
        open(target, "wb").write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError):
        saver.save(2, {"x": torch.ones(2)})
    assert sorted(p.name for p in path.parent.iterdir()) == ["c.pt"]  # no temporary left
    assert checkpoint.Checkpoint(path, "abc", 1).load(5)[0] == 1  # the earlier one intact
    saver.remove()
    assert not path.exists()
    saver.remove()  # no error when already gone


def test_due_after_every_epochs_or_seconds_and_off_at_zero():
    by_epochs = checkpoint.Checkpoint("c.pt", "x", every_epochs=10)
    by_epochs.start(5)
    assert not by_epochs.due(14) and by_epochs.due(15)
    by_time = checkpoint.Checkpoint("c.pt", "x", every_seconds=1e-9)
    assert by_time.due(1)
    off = checkpoint.Checkpoint("c.pt", "x")
    assert not off.enabled and not off.due(10**6)


# ------------------------------------------------------ per trainer: stop, resume, compare


class Stop(Exception):
    pass


class StopAt(ProgressMeter):
    """A progress meter that stops the run after ``stop`` updates (like a kill)."""

    def __init__(self, stop: int) -> None:
        super().__init__("test", EPOCHS, lambda line: None)
        self.stop = stop

    def epoch(self, done: int) -> None:
        if done == self.stop:
            raise Stop


def _interrupted_then_resumed(train, path, fields):
    """Train with checkpoints, stop at STOP, train again: the resumed run's arrays, its
    extra, and the messages of the second run."""
    first = checkpoint.Checkpoint(path, "run", every_epochs=EVERY)
    with pytest.raises(Stop):
        train(checkpoint=first, progress=StopAt(STOP))
    assert path.is_file()
    messages, lines = [], []
    again = checkpoint.Checkpoint(path, "run", every_epochs=EVERY, report=messages.append)
    run = train(checkpoint=again, progress=ProgressMeter("test", EPOCHS, lines.append))
    # the resumed run's first progress line shows the last recorded loss, not NaN
    assert lines[0].startswith(f"test: epoch {STOP - STOP % EVERY + 1}/{EPOCHS}"), lines[0]
    assert "loss nan" not in lines[0], lines[0]
    return {name: getattr(run, name) for name in fields}, run.extra, messages


def _assert_equal_arrays(resumed, reference):
    for name, array in reference.items():
        assert resumed[name].dtype == array.dtype, name
        assert np.array_equal(resumed[name], array), name


LINEAR_FIELDS = ("steps", "singular_values", "projections", "loss")


@pytest.mark.parametrize("algorithm", ["eigenbasis", "dataspace", "sampled_noise"])
def test_linear_run_resumed_from_a_checkpoint_is_bitwise_equal(problem, algorithm, tmp_path):
    data, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 0.05, 2, "DAE")
    common = dict(lr=0.05, epochs=EPOCHS, steps=driver.record_steps(EPOCHS, 10), noise=0.3)
    values, vectors = spectrum.eigenvalues, spectrum.eigenvectors
    if algorithm == "eigenbasis":

        def train(**options):
            return linear.train_eigenbasis(values, vectors, w1, w2, **common, **options)

    elif algorithm == "dataspace":

        def train(**options):
            return linear.train_dataspace(
                data, values, vectors, w1, w2, decay=0.1, **common, **options
            )

    else:

        def train(**options):
            return linear.train_sampled_noise(
                data, values, vectors, w1, w2, batch_size=16, seed=5, **common, **options
            )

    reference = train()
    resumed, extra, messages = _interrupted_then_resumed(train, tmp_path / "c.pt", LINEAR_FIELDS)
    _assert_equal_arrays(resumed, {name: getattr(reference, name) for name in LINEAR_FIELDS})
    assert messages == [f"resuming from checkpoint {tmp_path / 'c.pt'} at epoch 40 of {EPOCHS}"]
    assert extra["resumed_from_epoch"] == 40 and reference.extra["resumed_from_epoch"] == 0


@pytest.mark.parametrize("noise_std", [0.0, 0.4])
def test_nonlinear_run_resumed_from_a_checkpoint_is_bitwise_equal(problem, noise_std, tmp_path):
    data, spectrum = problem

    def train(**options):
        return nonlinear.train_relu_autoencoder(
            data,
            spectrum.eigenvalues,
            spectrum.eigenvectors,
            H,
            0.5,
            EPOCHS,
            weight_decay=0.01,
            noise_std=noise_std,
            init_std=0.2,
            seed=9,
            modes=3,
            record_every=7,
            **options,
        )

    fields = ("epochs", "faithful", "corrected", "loss")
    reference = train()
    resumed, extra, messages = _interrupted_then_resumed(train, tmp_path / "c.pt", fields)
    _assert_equal_arrays(resumed, {name: getattr(reference, name) for name in fields})
    assert extra["resumed_from_epoch"] == 40 and len(messages) == 1


def test_a_run_without_checkpoints_switched_on_neither_saves_nor_resumes(problem, tmp_path):
    data, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 0.05, 2, "AE")
    path = tmp_path / "c.pt"
    off = checkpoint.Checkpoint(path, "run", every_epochs=0, every_seconds=0)
    linear.train_eigenbasis(
        spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, 0.05, 50, checkpoint=off
    )
    assert not path.exists()
