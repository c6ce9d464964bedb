"""Helpers shared by the test modules (pytest puts tests/ on sys.path: `from helpers import needs_data`)."""
import pytest


def has_mnist() -> bool:
    "MNIST's test split is on disk (the data-root setting, VAE_COURSE_DATA); never downloads."
    from vae_course.data import DataNotFoundError, load_split
    try: load_split("mnist", "test", download=False)
    except DataNotFoundError: return False
    return True


needs_data = pytest.mark.skipif(not has_mnist(), reason="MNIST not found (set VAE_COURSE_DATA): these tests read MNIST")
