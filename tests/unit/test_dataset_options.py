"""Two per-dataset options: how pixels become X (``datasets.<name>.preprocessing``) and a
folder of images as a source (``datasets.<name>.image_folder``).

Tiny synthetic arrays and PNG/GIF files written in tmp_path stand in for real data.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import SCHEMA, mnist_arrays
from PIL import Image

from lindae.data import PREPROCESSING, DatasetFileError, load_training_matrix, npz_facts
from lindae.image_folder import image_folder_facts, import_image_folder, read_image_folder
from lindae.spectra import load_spectrum, save_spectrum, second_moment_spectrum
from lindae.workflow.config import config_problems, load_schema
from lindae.workflow.config_datasets import configured_facts, dataset_preprocessing
from lindae.workflow.download import describe_source, resolve_settings, source_inputs

# ----------------------------------------------------------------------------- preprocessing


@pytest.fixture
def images_npz(tmp_path):
    """12 MNIST-shaped images whose pixel (0, 0) is 7 in every image (zero variance)."""
    arrays = mnist_arrays()
    arrays["train_images"][:, 0, 0] = 7
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    return path, arrays["train_images"]


def test_scale_is_bit_for_bit_the_papers_matrix(images_npz):
    path, images = images_npz
    for dtype in (np.float64, np.float32):
        old = images[:10].reshape(10, -1).astype(dtype)  # the formula before the option
        old /= dtype(255)
        for matrix in (
            load_training_matrix(path, 10, dtype=dtype),
            load_training_matrix(path, 10, dtype=dtype, preprocessing="scale"),
        ):
            assert matrix.dtype == dtype
            assert matrix.tobytes() == old.tobytes()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_center_has_zero_column_means_over_the_rows_loaded(images_npz, dtype):
    path, images = images_npz
    matrix = load_training_matrix(path, 10, dtype=dtype, preprocessing="center")
    assert np.abs(matrix.mean(axis=0)).max() < 1e-6
    assert (matrix[:, 0] == 0).all()  # the constant pixel: exactly 0, not rounding noise
    scaled = images[:10].reshape(10, -1) / 255.0
    np.testing.assert_allclose(matrix, scaled - scaled.mean(axis=0), atol=1e-6)
    # the statistics are those of the rows loaded: 5 rows centre differently from 10
    five = load_training_matrix(path, 5, preprocessing="center")
    np.testing.assert_allclose(five, scaled[:5] - scaled[:5].mean(axis=0), atol=1e-12)


def test_standardize_gives_unit_deviation_and_leaves_constant_pixels_at_zero(images_npz):
    path, images = images_npz
    matrix = load_training_matrix(path, 12, preprocessing="standardize")
    assert np.isfinite(matrix).all()
    assert (matrix[:, 0] == 0).all()
    varying = images.reshape(12, -1).std(axis=0) > 0
    assert varying.sum() > 700 and not varying[0]
    np.testing.assert_allclose(matrix[:, varying].std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(matrix.mean(axis=0), 0.0, atol=1e-12)


def test_an_unknown_preprocessing_names_itself_and_the_valid_ones(images_npz):
    path, _ = images_npz
    with pytest.raises(ValueError) as caught:
        load_training_matrix(path, 4, preprocessing="whiten")
    assert str(caught.value) == (
        "preprocessing = 'whiten': must be one of scale, center, standardize"
    )


def test_preprocessing_in_the_schema_and_the_spectrum_record(config, tmp_path):
    schema = load_schema(SCHEMA)
    assert schema["$defs"]["dataset"]["properties"]["preprocessing"]["enum"] == list(PREPROCESSING)
    assert dataset_preprocessing({"subset": 4}) == "scale"
    config["datasets"]["mnist"]["preprocessing"] = "center"
    assert config_problems(config, schema, colours=False) == []
    config["datasets"]["mnist"]["preprocessing"] = "whiten"
    (problem,) = config_problems(config, schema, colours=False)
    assert problem.startswith("datasets.mnist.preprocessing = 'whiten'")
    spectrum = second_moment_spectrum(np.eye(3), "toy", "standardize")
    save_spectrum(spectrum, tmp_path / "s.npz")
    assert load_spectrum(tmp_path / "s.npz").preprocessing == "standardize"


def test_the_spectrum_captions_name_the_matrix_each_preprocessing_builds(config):
    from lindae.figures import figure
    from lindae.figures.spectra import _MATRICES

    assert set(_MATRICES) == set(PREPROCESSING)  # a caption phrase for every choice
    spectra, analysed = figure("spectra"), figure("analysis_spectra")
    paper = spectra.description(spectra.settings(config))
    assert "each dataset's uncentred second moment X^T X / N" in paper
    config["datasets"]["mnist"]["preprocessing"] = "center"
    mixed = spectra.description(spectra.settings(config))
    assert "mnist: covariance (pixels centred)" in mixed and "uncentred second moment" in mixed
    for name in config["datasets"]:
        config["datasets"][name]["preprocessing"] = "standardize"
    config["analysis"]["datasets"] = ["cifar10"]
    standardised = analysed.description(analysed.settings(config))
    assert "correlation matrix (pixels standardised)" in standardised
    assert "uncentred" not in standardised


# ------------------------------------------------------------------------------ image folder


def _write(path, pixels, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode).save(path)
    return path


@pytest.fixture
def grey_folder(tmp_path):
    """Classes 'cat' (label 0, 2 images) and 'dog' (label 1, 3 images) of 6 x 5 greyscale
    images; file names out of creation order, one upper-case suffix, one hidden file."""
    rng = np.random.default_rng(0)
    root = tmp_path / "pets"
    pixels = {}
    for name in ("dog/b.png", "dog/a.PNG", "cat/z.png", "cat/m.png", "dog/c.bmp"):
        pixels[name] = rng.integers(0, 256, (5, 6), dtype=np.uint8)
        _write(root / name, pixels[name])
    (root / "cat" / ".DS_Store").write_bytes(b"\0")
    return root, pixels


def test_a_greyscale_folder_gives_sorted_images_and_labels(grey_folder, tmp_path):
    root, pixels = grey_folder
    arrays = read_image_folder(root)
    order = ["cat/m.png", "cat/z.png", "dog/a.PNG", "dog/b.png", "dog/c.bmp"]
    assert arrays["train_images"].shape == (5, 5, 6)
    assert arrays["train_images"].dtype == np.uint8
    np.testing.assert_array_equal(arrays["train_images"], np.stack([pixels[n] for n in order]))
    assert arrays["train_labels"].tolist() == [0, 0, 1, 1, 1]
    assert arrays["test_images"].shape == (0, 5, 6) and arrays["test_labels"].shape == (0,)

    out, manifest = tmp_path / "out" / "pets.npz", tmp_path / "out" / "pets_manifest.json"
    out.parent.mkdir()
    record = import_image_folder("pets", root, out, manifest)
    assert json.loads(manifest.read_text()) == record
    assert record["method"] == "image_folder"
    assert record["counts"] == {"train": 5, "test": 0}
    assert record["classes"] == ["cat", "dog"]
    assert record["source"] == str(root.resolve()) and len(record["sha256_arrays"]) == 64
    assert record["shapes"]["train_images"] == [5, 5, 6]
    with np.load(out) as npz:
        np.testing.assert_array_equal(npz["train_images"], arrays["train_images"])
    assert npz_facts(out).train_count == 5
    # what a rule reads next: X of the folder's images, like any dataset
    assert load_training_matrix(out, 5).shape == (5, 30)
    facts = image_folder_facts(root)
    assert (facts.train_count, facts.image_shape) == (5, (5, 6))


def test_an_rgb_folder_and_palette_images(tmp_path):
    rng = np.random.default_rng(1)
    root = tmp_path / "colour"
    rgb = [rng.integers(0, 256, (4, 3, 3), dtype=np.uint8) for _ in range(2)]
    _write(root / "a" / "0.png", rgb[0])
    _write(root / "b" / "0.png", rgb[1])
    # a palette image with colours is read as RGB through its palette
    colours = Image.fromarray(rgb[1]).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    colours.save(root / "b" / "1.gif")
    arrays = read_image_folder(root)
    assert arrays["train_images"].shape == (3, 4, 3, 3)
    np.testing.assert_array_equal(arrays["train_images"][:2], np.stack(rgb))
    np.testing.assert_array_equal(arrays["train_images"][2], np.asarray(colours.convert("RGB")))
    assert arrays["train_labels"].tolist() == [0, 1, 1]
    assert image_folder_facts(root).image_shape == (4, 3, 3)
    # a palette of greys is read as greyscale
    grey = tmp_path / "grey"
    _write(grey / "a" / "0.png", rng.integers(0, 256, (4, 3), dtype=np.uint8))
    Image.fromarray(rng.integers(0, 256, (4, 3), dtype=np.uint8)).convert("P").save(
        grey / "a" / "1.png"
    )
    assert read_image_folder(grey)["train_images"].shape == (2, 4, 3)


def _problem(root, tmp_path):
    out, manifest = tmp_path / "o.npz", tmp_path / "o.json"
    with pytest.raises(DatasetFileError) as caught:
        import_image_folder("pets", root, out, manifest)
    assert not out.exists() and not manifest.exists()
    return str(caught.value)


def test_each_folder_problem_names_the_path_and_writes_nothing(grey_folder, tmp_path):
    root, _ = grey_folder
    message = _problem(tmp_path / "absent", tmp_path)
    assert message.startswith(f"{tmp_path / 'absent'}: no such folder; expected one sub-folder")
    (tmp_path / "empty").mkdir()
    assert _problem(tmp_path / "empty", tmp_path).startswith(f"{tmp_path / 'empty'}: empty")

    (root / "notes.txt").write_text("x")
    assert _problem(root, tmp_path).startswith(f"{root / 'notes.txt'}: a file outside any class")
    (root / "notes.txt").unlink()

    (root / "dog" / "labels.csv").write_text("x")
    message = _problem(root, tmp_path)
    assert message.startswith(f"{root / 'dog' / 'labels.csv'}: not an image file")
    assert ".png, .jpg, .jpeg, .bmp, .gif" in message
    (root / "dog" / "labels.csv").unlink()

    (root / "dog" / "d.png").write_bytes(b"not a png")
    assert _problem(root, tmp_path).startswith(f"{root / 'dog' / 'd.png'}: not a readable image")
    _write(root / "dog" / "d.png", np.zeros((6, 6), np.uint8))
    message = _problem(root, tmp_path)
    assert message.startswith(f"{root / 'dog' / 'd.png'}: 6x6 L, but {root / 'cat' / 'm.png'}")
    assert "is 6x5 L; every image must have the same size and mode" in message
    _write(root / "dog" / "d.png", np.zeros((5, 6, 3), np.uint8))
    assert "5" in _problem(root, tmp_path) and "RGB, but" in _problem(root, tmp_path)
    _write(root / "dog" / "d.png", np.zeros((5, 6, 4), np.uint8), "RGBA")
    message = _problem(root, tmp_path)
    assert message.startswith(f"{root / 'dog' / 'd.png'}: image mode RGBA, expected one of L")
    assert "RGB" in message and "P" in message


def test_image_folder_as_a_source(grey_folder, config):
    root, _ = grey_folder
    resolved = resolve_settings({"image_folder": "{data_root}/pets"}, str(root.parent))
    assert resolved["image_folder"] == str(root) and resolved["import_npz"] is None
    assert source_inputs(resolved) == [str(root)]
    assert describe_source("pets", resolved) == f"pets: import the image folder {root}"
    assert "image_folder" not in resolve_settings(config["datasets"]["mnist"], "")

    config["data_root"] = str(root.parent)
    config["datasets"]["pets"] = {"image_folder": "{data_root}/pets", "subset": 5}
    config["linear"]["hidden"]["pets"] = 4
    config["fig5"]["modes"] = [1, 2]  # within H = 4
    schema = load_schema(SCHEMA)
    assert config_problems(config, schema, colours=False) == []
    assert configured_facts(config)["pets"].dimension == 30
    config["datasets"]["pets"]["subset"] = 6
    assert config_problems(config, schema, colours=False) == [
        "datasets.pets.subset = 6: must be <= 5 (the pets training-set size)"
    ]


def test_a_dataset_has_exactly_one_source(config):
    schema = load_schema(SCHEMA)
    config["datasets"]["pets"] = {"image_folder": "/f", "import_npz": "/f.npz", "subset": 5}
    config["linear"]["hidden"]["pets"] = 4
    config["fig5"]["modes"] = [1, 2]  # within H = 4
    assert config_problems(config, schema, colours=False) == [
        "datasets.pets: two sources, import_npz and image_folder; set one of them to null "
        "(exactly one of torchvision, import_npz or image_folder)"
    ]
    config["datasets"]["pets"] = {"image_folder": "/f", "torchvision": "MNIST", "subset": 5}
    (problem,) = config_problems(config, schema, colours=False)
    assert problem.startswith("datasets.pets: two sources, torchvision = MNIST and image_folder")
    config["datasets"]["pets"] = {"subset": 5}
    (problem,) = config_problems(config, schema, colours=False)
    assert problem.startswith("datasets.pets: no source; set torchvision")
    assert "or image_folder (a folder with one sub-folder of images per class)" in problem
