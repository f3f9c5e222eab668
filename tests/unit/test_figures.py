"""lindae.figures: the registry, the common interface, and the data-free figures end to end."""

from __future__ import annotations

import copy

import matplotlib
import numpy as np
import pytest

from lindae import landscape, theory
from lindae.figures import REGISTRY, figure, paper_figure
from lindae.figures.base import Figure
from lindae.spectra import second_moment_spectrum
from lindae.tables import COLUMNS, VARIANTS


def _small(config: dict) -> dict:
    """The default config with the data-free figures shrunk to a fraction of a second."""
    config = copy.deepcopy(config)
    config["fig1"].update(epochs=40, runs=3)
    config["fig2"].update(epochs=300, noise_levels=[0.0, 0.5, 1.0])
    config["fig3"].update(
        epochs=300, noise_levels=[0.0, 0.5], rate_grid={"start": 0.0, "stop": 1.0, "step": 0.25}
    )
    config["fig4"].update(epochs=60, random_runs=3)
    return config


def test_registry_holds_every_paper_figure_and_the_companions():
    assert [f"fig{n}" for n in range(1, 7)] == [s for s in REGISTRY if s[3:].isdigit()]
    assert {"spectra", "fig5_sampled_noise"} <= set(REGISTRY)
    for stem, entry in REGISTRY.items():
        assert isinstance(entry, Figure) and entry.stem == stem and entry.title
        assert set(entry.variants) <= set(VARIANTS) and entry.variants
        # a companion's family is a paper figure; the analysis target's figures have their own
        assert f"fig{entry.family}" in REGISTRY or entry.family == "analysis"
        assert entry.table_names()[0] == "curves"
    with pytest.raises(ValueError, match="unknown figure 'fig7'; valid: fig1"):
        figure("fig7")


@pytest.mark.parametrize("stem", list(REGISTRY))
def test_settings_come_from_the_config_and_describe_the_figure(stem, default_config):
    entry = REGISTRY[stem]
    settings = entry.settings(default_config)
    text = entry.description(settings)
    assert isinstance(text, str) and len(text) > 40 and "{" not in text


@pytest.mark.parametrize(
    ("number", "section", "key", "value", "expected"),
    [
        (1, "fig1", "lam", 2.0, "lambda = 2"),
        (2, "fig2", "lams", [3.0, 0.25], "lambda = 3, 0.25"),
        (3, "fig3", "noise_levels", [0.0, 0.7], "eps = 0, 0.7"),
        (4, "fig4", "noise", 0.3, "eps = 0.3"),
        (5, "linear", "decay", 0.25, "gamma = 0.25"),
        (6, "nonlinear", "noise_std", 1.5, "noise std 1.5"),
        (
            6,
            "nonlinear",
            "noise_std",
            {"mnist": 2.0, "cifar10": 3.0},
            "noise std 2 on mnist, 3 on cifar10",
        ),
    ],
)
def test_a_changed_setting_changes_the_description(
    default_config, number, section, key, value, expected
):
    entry = paper_figure(number)
    before = entry.description(entry.settings(default_config))
    changed = copy.deepcopy(default_config)
    changed[section][key] = value
    after = entry.description(entry.settings(changed))
    assert expected in after and expected not in before


def test_fig4_description_states_the_matched_decay(default_config):
    changed = copy.deepcopy(default_config)
    changed["fig4"]["noise"] = 0.3
    decay = float(theory.matched_weight_decay(changed["fig4"]["lam"], 0.3))
    assert f"gamma = {decay:.4g}" in paper_figure(4).description(changed["fig4"])


@pytest.fixture(scope="module")
def data_free_tables(default_config):
    config = _small(default_config)
    built = {}
    for number in (1, 2, 3, 4):
        entry = paper_figure(number)
        settings = entry.settings(config)
        for variant in VARIANTS:
            built[(number, variant)] = (settings, entry.tables({}, settings, variant))
    return config, built


def test_data_free_tables_follow_the_schema_and_are_finite(data_free_tables):
    _, built = data_free_tables
    for (number, variant), (_, tables) in built.items():
        assert set(tables) == set(paper_figure(number).table_names())
        curves = tables["curves"]
        assert tuple(curves.columns) == COLUMNS, (number, variant)
        # the faithful closed form is finite for Figs 1-4 (only Fig. 5's overflows)
        assert np.isfinite(curves["value"]).all(), (number, variant)


def test_claims_of_the_small_data_free_figures_run(data_free_tables, default_config):
    _, built = data_free_tables
    for (number, variant), (settings, tables) in built.items():
        found = paper_figure(number).claims(tables, settings, default_config["claims"], variant)
        assert found and all(c.figure == str(number) for c in found)


def test_plots_draw_from_the_tables_alone(data_free_tables, default_config, monkeypatch):
    """Plotting reads tables: with the theory module's functions broken it still draws."""
    config, built = data_free_tables
    for name in ("scalar_loss", "mode_strength", "fixed_point", "matched_weight_decay"):
        monkeypatch.setattr(theory, name, None)
    for (number, variant), (settings, tables) in built.items():
        drawn = paper_figure(number).plot(tables, settings, config["style"], variant)
        assert isinstance(drawn, matplotlib.figure.Figure)
        matplotlib.pyplot.close(drawn)


def test_notes_list_each_difference(data_free_tables):
    _, built = data_free_tables
    for (number, variant), (settings, tables) in built.items():
        notes = paper_figure(number).notes(settings, variant, tables)
        assert notes["figure"] == number and notes["variant"] == variant
        assert notes["differences"] and all(
            set(item) == {"item", "faithful", "corrected"} for item in notes["differences"]
        )


def test_landscape_minima_lie_on_the_hyperbola_of_the_fixed_point():
    lam, noise = 1.0, 1.0
    target = float(theory.fixed_point(lam, noise))
    for piece in landscape.hyperbola(target, 2.0):
        assert np.allclose(piece[:, 0] * piece[:, 1], target)
    w1, w2 = landscape.thresholded_minima(lam, noise, 0.0, 400, 2.0)
    assert len(w1) > 0 and np.abs(w1 * w2 - target).max() < 0.01


def test_landscape_gradient_field_points_downhill():
    w1, w2 = landscape.square_grid(2.0, 101)
    loss = theory.scalar_loss(w1, w2, 1.0, 0.1, 0.05)
    field = landscape.gradient_rows("p", w1, w2, loss, stride=10)
    exact_w1, exact_w2 = theory.scalar_loss_gradient(field["w1"], field["w2"], 1.0, 0.1, 0.05)
    inner = (field["w1"].abs() < 1.9) & (field["w2"].abs() < 1.9)  # central differences there
    assert np.allclose(field["d_w1"][inner], -exact_w1[inner], atol=0.05)
    assert np.allclose(field["d_w2"][inner], -exact_w2[inner], atol=0.05)


def test_landscape_surface_round_trips_through_its_table():
    w1, w2 = landscape.square_grid(2.0, 20, descending_w2=True)
    loss = landscape.authors_surface(w1, w2, 1.0, 5.0)
    table = landscape.surface_rows("p", w1, w2, loss)
    back = landscape.grid_arrays(table, "p")
    assert all(np.array_equal(a, b) for a, b in zip(back, (w1, w2, loss), strict=True))


def test_spectra_table_lists_every_eigenvalue_by_rank(default_config):
    rng = np.random.default_rng(0)
    spectrum = second_moment_spectrum(rng.random((50, 12)), "toy")
    entry = figure("spectra")
    settings = entry.settings(default_config)
    tables = entry.tables({"spectra": {"toy": spectrum}}, settings, "corrected")
    curves = tables["curves"]
    eigen = curves[curves["quantity"] == "eigenvalue"]
    assert eigen["run"].tolist() == list(range(1, 13))
    assert np.array_equal(eigen["value"].to_numpy(), spectrum.eigenvalues)
    assert curves[curves["quantity"] == "n_samples"]["value"].tolist() == [50]
    drawn = entry.plot(tables, settings, default_config["style"], "corrected")
    matplotlib.pyplot.close(drawn)
