"""Download faults (catalogue cases 1-5): a bad or unreachable mirror fails clearly and
leaves nothing behind; the earlier results survive. (docs/troubleshooting.md.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import (
    fetch,
    url,
)

from lindae.workflow.download import DownloadError


def _earlier_results(tmp_path: Path) -> Path:
    """An artefact of an earlier stage that a failing download must not touch."""
    kept = tmp_path / "out" / "spectra" / "cifar10.npz"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"earlier result")
    return kept


def _no_partial_output(out: Path) -> None:
    assert not (out / "mnist.npz").exists() and not (out / "mnist_manifest.json").exists()
    assert not (out / "scratch").exists()
    assert not list(out.rglob(".*.tmp*")), "a temporary file was left"


def test_truncated_file_from_a_mirror(tmp_path, mnist_mirror):
    folder, md5, _ = mnist_mirror
    truncated = folder / "train-images-idx3-ubyte.gz"
    truncated.write_bytes(truncated.read_bytes()[:100])
    kept = _earlier_results(tmp_path)
    with pytest.raises(DownloadError) as caught:
        fetch(tmp_path, [url(folder)], md5, retries=0)
    message = str(caught.value)
    assert "could not download train-images-idx3-ubyte.gz (dataset mnist" in message
    assert f"{url(folder)} (1 attempt(s)): md5 mismatch: got " in message
    assert f"expected {md5['train-images-idx3-ubyte.gz']} (truncated, corrupted or a " in message
    assert "different file; 100 bytes received)" in message
    _no_partial_output(tmp_path / "out")
    assert kept.read_bytes() == b"earlier result"


def test_wrong_md5_in_the_config(tmp_path, mnist_mirror):
    folder, md5, _ = mnist_mirror
    wrong = dict(md5, **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    with pytest.raises(
        DownloadError, match=f"md5 mismatch: got {md5['t10k-labels-idx1-ubyte.gz']}"
    ):
        fetch(tmp_path, [url(folder)], wrong, retries=0)
    _no_partial_output(tmp_path / "out")


def test_unreachable_http_mirror(tmp_path, mnist_mirror):
    _, md5, _ = mnist_mirror
    mirror = "http://127.0.0.1:9/mnist/"  # the discard port: connection refused at once
    with pytest.raises(DownloadError) as caught:
        fetch(tmp_path, [mirror], md5, retries=1)
    message = str(caught.value)
    assert f"mirrors tried:\n  - {mirror} (2 attempt(s)): " in message
    assert "refused" in message.lower()
    assert "Without internet access" in message and "config/offline.yaml" in message
    _no_partial_output(tmp_path / "out")


def test_read_only_file_mirror(tmp_path, mnist_mirror):
    folder, md5, arrays = mnist_mirror
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    folder.chmod(0o555)
    try:
        out, _ = fetch(tmp_path, [url(folder)], md5)
    finally:
        folder.chmod(0o755)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    with np.load(out / "mnist.npz") as npz:
        np.testing.assert_array_equal(npz["train_images"], arrays["train_images"])
