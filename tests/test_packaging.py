"""The installed distribution's metadata: what `pip install vae-course` and its extras bring.

Read from the installed metadata (built by setup.py from settings.ini), so a requirement written in
settings.ini but not wired into setup.py fails here."""
import importlib.metadata

import pytest

try: META = importlib.metadata.metadata("vae-course")
except importlib.metadata.PackageNotFoundError: META = None

pytestmark = pytest.mark.skipif(META is None, reason="vae-course is not installed (run `make install`)")


def requires(extra: str | None = None) -> set[str]:
    "Names of the distributions required by the base install (extra=None) or by `extra`."
    out = set()
    for r in META.get_all("Requires-Dist") or []:
        name, _, marker = r.partition(";")
        in_extra = f'extra == "{extra}"' in marker if extra else not marker.strip()
        if in_extra: out.add(name.split("<")[0].split(">")[0].split("=")[0].split("[")[0].strip().lower())
    return out


def test_the_command_line_needs_pyyaml_at_run_time():
    assert "pyyaml" in requires(), "vae-course train --config reads YAML: pyyaml must be in settings.ini's requirements"


def test_tensorboard_is_an_optional_extra_and_a_dev_tool():
    assert "tensorboard" in (META.get_all("Provides-Extra") or []), "pip install vae-course[tensorboard] must exist"
    assert "tensorboard" in requires("tensorboard")
    assert "tensorboard" not in requires(), "TensorBoard is optional: not a requirement of the base install"
    assert "tensorboard" in requires("dev"), "the dev tools include it, so the tests cover --tensorboard"
