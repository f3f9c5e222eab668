"""The shared training driver: record epochs, call order, divergence, oscillation, progress,
devices."""

import math

import numpy as np
import pytest
import torch

from lindae.models import StabilityBound, linear_stability
from lindae.training import driver, stability

BOUND = StabilityBound(0.125, "1/lambda_bar_1", "lambda_bar_1 = 8, sigma^2 = 0, gamma = 0")


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


def test_progress_lines_after_the_first_update_every_k_epochs_and_at_the_end():
    lines = []
    meter = driver.ProgressMeter(
        "train_x mnist AE", 20, lines.append, every_seconds=0, every_epochs=7
    )
    records, _ = _run(20, driver.record_epochs(20, 7), progress=meter)
    shown = [int(line.split("epoch ")[1].split("/")[0]) for line in lines]
    assert shown == [1, 8, 15, 20]
    assert all(line.startswith("train_x mnist AE: epoch ") and "\r" not in line for line in lines)
    # each line shows the latest record's loss
    assert lines[-1].endswith(f"loss {records.loss[-1]:.6g}")
    assert f"loss {records.loss[2]:.6g}" in lines[2]  # epoch 15: the record of epoch 14
    assert "s/epoch, ETA " in lines[0] and "/20 (100 %)" in lines[-1]


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_loss_stops_with_the_message(bad):
    seen = []
    meter = driver.ProgressMeter("x", 30, seen.append, every_seconds=0, every_epochs=10)
    with pytest.raises(stability.DivergenceError) as raised:
        _run(30, [0, 10, 20, 30], losses={0: 2.0, 10: 1.5, 20: bad}, bound=BOUND, progress=meter)
    assert str(raised.value) == stability.divergence_message(20, bad, 0.5, BOUND, (10, 1.5))
    message = str(raised.value)
    assert f"detected at epoch 20 (loss {bad:g}; last finite loss 1.5 at epoch 10" in message
    assert (
        "learning rate 0.5; full-batch GD is stable only for lr < 1/lambda_bar_1 = 0.125 "
        "(lambda_bar_1 = 8, sigma^2 = 0, gamma = 0))"
    ) in message
    assert message.endswith("lower the learning rate in the config. No result file was written.")
    assert "\n" not in message
    assert [line.split(":")[1].split("/")[0] for line in seen] == [" epoch 1", " epoch 11"]
    assert "loss 1.5" in seen[-1]  # no progress for the diverged record


def test_divergence_at_the_first_record_and_a_custom_rule():
    bound = StabilityBound(2.5, "D/(2 lambda_bar_1)", "D = 10, lambda_bar_1 = 2")
    with pytest.raises(stability.DivergenceError) as raised:
        _run(
            5,
            [0],
            losses={0: math.nan},
            bound=bound,
            rule="its linear limit is stable only for lr <",
        )
    message = str(raised.value)
    assert "(loss nan; learning rate 0.5; its linear limit is stable only for lr < " in message
    assert "D/(2 lambda_bar_1) = 2.5 (D = 10, lambda_bar_1 = 2))" in message
    assert "last finite" not in message
    assert "; full-batch" not in stability.divergence_message(1, math.nan, 0.1)  # no bound: no rule


def test_the_message_never_contradicts_itself():
    """Below the bound, the message says so instead of blaming the learning rate alone."""
    below = stability.divergence_message(3, math.nan, 0.1, BOUND)
    assert "lr < 1/lambda_bar_1 = 0.125" in below
    assert "the learning rate is below that bound" in below
    assert "lower the learning rate in the config." not in below
    # the bound of a model with weight decay and noise states both (a NaN decay is refused)
    bound = linear_stability([4.0, 1.0], noise=0.5, decay=1.0, hidden=2)
    message = stability.divergence_message(3, math.nan, 1.0, bound)
    assert "1/(lambda_bar_1 - gamma) = 0.3333" in message
    assert "sigma^2 = 0.5, gamma = 1" in message
    with pytest.raises(ValueError, match="gamma = nan: must be a finite number >= 0"):
        linear_stability([4.0], decay=math.nan)


@pytest.mark.parametrize(
    "settings",
    [
        dict(lr=math.nan, epochs=5),
        dict(lr=math.inf, epochs=5),
        dict(lr=0.0, epochs=5),
        dict(lr=0.1, epochs=-1),
        dict(lr=0.1, epochs=2.5),
        dict(lr=0.1, epochs=5, decay=math.nan),
        dict(lr=0.1, epochs=5, noise=-0.5),
    ],
    ids=[
        "nan-lr",
        "inf-lr",
        "zero-lr",
        "negative-epochs",
        "float-epochs",
        "nan-decay",
        "neg-noise",
    ],
)
def test_invalid_settings_are_refused_before_training(settings):
    with pytest.raises(driver.TrainingSettingsError, match="must be"):
        driver.check_training_settings(**settings)


# --------------------------------------------------------------------------- oscillation


def _monitor_run(values, every=100, epochs=3000, **options):
    """Feed ``values(epoch)`` (a vector) at the pairs k, k + 1 of record_steps to a monitor."""
    monitor = stability.OscillationMonitor("v", **options)
    for epoch in driver.record_steps(epochs, every):
        monitor.observe(int(epoch), np.atleast_1d(values(int(epoch))))
        if monitor.found is not None:
            return monitor.found
    return None


@pytest.mark.parametrize("every", [1, 2, 7, 10, 100, 1000])
def test_a_period_two_swing_is_found_whatever_the_record_interval(every):
    def swing(epoch):  # mode 2 swings around 0.8 from epoch 500 on; mode 1 is settled
        return [1.0, 0.8 + (0.1 * (-1) ** epoch if epoch >= 500 else 0.0)]

    found = _monitor_run(swing, every)
    assert found is not None and found.mode == 2
    assert {round(found.before, 6), round(found.after, 6)} == {0.7, 0.9}
    assert 500 <= found.since and found.epoch <= 500 + 200 + 2 * every
    assert "of mode 2 went from" in str(found) and "keeps swinging back and forth" in str(found)


@pytest.mark.parametrize("every", [1, 7, 100])
def test_wider_swings_are_found(every):
    cycle = [0.25, 1.07, 0.88, 1.2, 0.61, 1.46, 0.19]  # period 7, like GD at 1.4 x its bound
    found = _monitor_run(lambda epoch: cycle[epoch % 7], every)
    assert found is not None and found.mode == 1


@pytest.mark.parametrize("every", [1, 7, 100])
@pytest.mark.parametrize(
    "trajectory",
    [
        lambda t: 1 / (1 + 1e6 * np.exp(-0.05 * t)),  # logistic learning of a mode
        lambda t: 1 / (1 + 1e8 * np.exp(-0.9 * t)),  # as fast as GD near its bound
        lambda t: 0.9 + 0.3 * 0.98**t * (-1) ** t,  # overshooting, converging (0.99 x bound)
        lambda t: 0.9 + 0.3 * 0.995**t * (-1) ** t,  # the same at 0.9975 x the bound
        lambda t: np.exp(-0.01 * t),  # a mode killed by weight decay
        lambda t: np.sin(t / 300.0),  # slow, smooth rise and fall
    ],
    ids=["learning", "fast-learning", "converging-swing", "slow-swing", "decay", "slow-wave"],
)
def test_smooth_or_converging_trajectories_are_not_oscillations(trajectory, every):
    assert _monitor_run(lambda epoch: [trajectory(epoch)], every) is None


def test_noise_alone_is_not_an_oscillation():
    rng = np.random.default_rng(0)
    noisy = stability.OscillationMonitor.noisy("m")
    for epoch in driver.record_steps(5000, 10):
        noisy.observe(int(epoch), 0.8 + 0.004 * rng.standard_normal(50))  # 0.5 % noise
    assert noisy.found is None


def test_a_found_oscillation_stops_the_run_with_the_bound():
    monitor = stability.OscillationMonitor("v_i^T W v_i")
    bound = StabilityBound(0.01, "1/(lambda_bar_1 - gamma)", "lambda_bar_1 = 100.5, gamma = 0.5")
    updates = []

    def record(epoch):
        monitor.observe(epoch, np.array([0.9 + 0.1 * (-1) ** epoch]))
        return 1.0

    with pytest.raises(stability.OscillationError) as raised:
        driver.run_epochs(
            2000,
            driver.record_steps(2000, 100),
            record,
            lambda: updates.append(1),
            0.0105,
            bound,
            monitor=monitor,
        )
    message = str(raised.value)
    assert message.startswith("training oscillates instead of converging: v_i^T W v_i of mode 1")
    assert "learning rate 0.0105; full-batch GD is stable only for lr < " in message
    assert "1/(lambda_bar_1 - gamma) = 0.01 (lambda_bar_1 = 100.5, gamma = 0.5)" in message
    assert message.endswith("lower the learning rate in the config. No result file was written.")
    assert isinstance(raised.value, stability.DivergenceError)  # callers catching it see both
    assert len(updates) < 400  # stopped as soon as the swing had lasted 200 epochs


def test_record_steps_and_record_epochs():
    assert driver.record_steps(300, 100).tolist() == [0, 1, 100, 101, 200, 201, 300]
    assert driver.record_steps(5, 10).tolist() == [0, 1, 5]
    assert driver.record_steps(250, 100).tolist() == [0, 1, 100, 101, 200, 201, 250]
    assert driver.record_steps(0, 10).tolist() == [0]
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


def test_progress_speed_forgets_a_pause_and_follows_a_lasting_change(monkeypatch):
    """The speed shown is the median of the last intervals between lines: a suspended job's
    pause does not inflate the ETA of the lines after it; a lasting slow-down shows."""
    from lindae.training import progress

    clock = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    lines = []
    meter = progress.ProgressMeter("x", 100, lines.append, every_seconds=0, every_epochs=5)
    pause = {12: 600.0}  # epoch 12 waits 10 minutes (SIGSTOP, a laptop asleep)
    for done in range(1, 41):
        clock[0] += (1.0 if done <= 25 else 3.0) + pause.get(done, 0.0)
        meter.epoch(done)
    speeds = {
        int(line.split("epoch ")[1].split("/")[0]): float(line.split(", ")[1].split(" ")[0])
        for line in lines
    }
    assert speeds[1] == 1.0 and speeds[11] == 1.0
    assert speeds[16] == 1.0 and "ETA 1 min 24 s" in lines[list(speeds).index(16)]
    assert speeds[26] == 1.0  # one slow interval is not yet a trend
    assert speeds[36] == 3.0  # three of the last five are
