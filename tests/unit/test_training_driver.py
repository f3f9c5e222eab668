"""The shared training driver: record epochs, call order, divergence, progress, devices."""

import math

import numpy as np
import pytest
import torch

from lindae.training import driver


def _run(epochs, record_at, losses=None, **options):
    """Run the driver with callbacks that log every call; ``losses`` maps epoch -> loss."""
    calls = []

    def record(epoch):
        calls.append(("record", epoch))
        return (losses or {}).get(epoch, 1.0 / (epoch + 1))

    def update():
        calls.append(("update", None))

    return driver.run_epochs(epochs, record_at, record, update, lr=0.5, **options), calls


def test_records_at_the_requested_epochs_before_that_epochs_update():
    records, calls = _run(5, [3, 0, 9, 5, 3, -1])
    assert records.epochs.tolist() == [0, 3, 5]  # sorted, unique, outside 0..epochs dropped
    assert records.epochs.dtype == np.int64
    assert records.loss.tolist() == [1.0, 0.25, 1 / 6]
    assert records.wall_seconds >= 0.0
    updates_before = [
        sum(kind == "update" for kind, _ in calls[:index])
        for index, (kind, _) in enumerate(calls)
        if kind == "record"
    ]
    assert updates_before == [0, 3, 5]  # record(e) sees the weights after e updates
    assert sum(kind == "update" for kind, _ in calls) == 5
    assert calls[-1] == ("record", 5)  # no update after the last epoch


def test_no_records_and_zero_epochs():
    records, calls = _run(3, [])
    assert records.epochs.tolist() == [] and records.loss.shape == (0,)
    assert calls == [("update", None)] * 3
    records, calls = _run(0, [0])
    assert records.epochs.tolist() == [0] and calls == [("record", 0)]


def test_progress_is_called_after_every_record():
    seen = []
    records, _ = _run(
        20, driver.record_epochs(20, 7), progress=lambda e, loss: seen.append((e, loss))
    )
    assert seen == list(zip(records.epochs.tolist(), records.loss.tolist(), strict=True))
    assert [epoch for epoch, _ in seen] == [0, 7, 14, 20]


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_loss_stops_with_the_message(bad):
    seen = []
    with pytest.raises(driver.DivergenceError) as raised:
        _run(
            30,
            [0, 10, 20, 30],
            losses={0: 2.0, 10: 1.5, 20: bad},
            bound=0.125,
            progress=lambda e, _: seen.append(e),
        )
    assert str(raised.value) == driver.divergence_message(20, bad, 0.5, 0.125, (10, 1.5))
    message = str(raised.value)
    assert f"detected at epoch 20 (loss {bad:g}; last finite loss 1.5 at epoch 10" in message
    assert "learning rate 0.5; full-batch GD is stable only for lr < 1/lambda_bar_1 = 0.125" in (
        message
    )
    assert message.endswith("lower the learning rate in the config. No result file was written.")
    assert seen == [0, 10]  # no progress for the diverged record


def test_divergence_at_the_first_record_and_a_custom_rule():
    with pytest.raises(driver.DivergenceError) as raised:
        _run(5, [0], losses={0: math.nan}, bound=2.5, rule="lr < D/(2 lambda_bar_1)")
    message = str(raised.value)
    assert "(loss nan; learning rate 0.5; lr < D/(2 lambda_bar_1) = 2.5)" in message
    assert "last finite" not in message
    assert "; full-batch" not in driver.divergence_message(1, math.nan, 0.1)  # no bound: no rule


def test_record_steps_and_record_epochs():
    assert driver.record_steps(300, 100).tolist() == [0, 1, 100, 101, 200, 201, 300]
    assert driver.record_steps(5, 10).tolist() == [0, 1]
    assert driver.record_epochs(20, 10).tolist() == [0, 10, 20]
    assert driver.record_epochs(23, 10).tolist() == [0, 10, 20, 23]
    assert driver.record_epochs(0, 10).tolist() == [0]
    assert driver.record_epochs(23, 10).dtype == np.int64


def test_cuda_request_without_gpu_fails_before_compute(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="device: cuda was requested but no CUDA GPU"):
        driver.resolve_device("cuda")
    assert driver.resolve_device("auto") == torch.device("cpu")
    assert driver.resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match=r"valid: device: auto\|cpu\|cuda"):
        driver.resolve_device("tpu")


def test_resolve_dtype():
    assert driver.resolve_dtype("float32") is torch.float32
    assert driver.resolve_dtype("float64") is torch.float64
    with pytest.raises(ValueError, match="unknown dtype 'float16'; valid: float32, float64"):
        driver.resolve_dtype("float16")
