"""PSNR and SSIM of vae_course.train against scikit-image's reference implementations.

scikit-image is not a dev requirement (with SciPy it is ~50 MB of wheels for this one cross-check),
so this test skips without it; `pip install scikit-image` into .venv runs it. Notebook 04b checks
both functions against closed forms either way."""
import numpy as np
import pytest
import torch

from vae_course.train import psnr, ssim

metrics = pytest.importorskip("skimage.metrics", reason="scikit-image is not installed: pip install scikit-image")


def images(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    "Pairs of 28x28 grey images in [0, 1] with structure (a digit-like blob, smoothed noise) and a distorted copy."
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28]
    a = np.stack([np.exp(-((yy - rng.uniform(8, 20)) ** 2 + (xx - rng.uniform(8, 20)) ** 2) / rng.uniform(10, 60))
                  for _ in range(n)])
    a = np.clip(a + 0.3 * rng.random((n, 28, 28)) * (rng.random((n, 1, 1)) > 0.5), 0, 1)
    b = np.clip(0.8 * a + 0.1 + rng.normal(0, rng.uniform(0.01, 0.2, (n, 1, 1)), (n, 28, 28)), 0, 1)
    return a, b


def test_ssim_equals_scikit_image():
    a, b = images()
    ours = ssim(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    ref = [metrics.structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                         data_range=1.0) for x, y in zip(a, b)]
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)
    assert np.ptp(ref) > 0.1, "the test pairs must span a range of similarities"


def test_psnr_equals_scikit_image():
    a, b = images(seed=1)
    ours = psnr(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    ref = [metrics.peak_signal_noise_ratio(x, y, data_range=1.0) for x, y in zip(a, b)]
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
