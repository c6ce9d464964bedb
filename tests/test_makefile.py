"""The Makefile's install recipe, read with `make -n` (nothing is run or downloaded).

- by default (TORCH_INDEX empty) it installs exactly as it always has: one `pip install -e ".[dev]"`,
  no other index, so this machine's CI still takes torch from its local cache;
- with TORCH_INDEX=URL it first installs torch and torchvision from that index, within the version
  ranges of settings.ini's requirements, and then the rest.
"""
import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPU = "https://download.pytorch.org/whl/cpu"
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def install_recipe(*variables: str) -> list[str]:
    "The commands `make install` would run on a fresh checkout (-B: as if nothing were installed yet)."
    r = subprocess.run(["make", "-n", "-B", "install", *variables], cwd=ROOT, capture_output=True, text=True, check=True)
    return r.stdout.strip().splitlines()


def torch_specs() -> list[str]:
    "torch's and torchvision's requirement specifiers, read from settings.ini independently of the Makefile."
    cfg = configparser.ConfigParser(delimiters=["="]); cfg.read(ROOT / "settings.ini")
    return [r for r in shlex.split(cfg["DEFAULT"]["requirements"]) if re.match(r"torch(vision)?([<>=!~]|$)", r)]


def pip_installs(lines: list[str]) -> list[list[str]]:
    return [shlex.split(l)[4:] for l in lines if re.search(r"-m pip install (?!--upgrade pip)", l)]


def test_default_install_is_unchanged():
    lines = install_recipe()
    test = [l for l in lines if "index-url" in l or "torch" in l]
    assert not test, f"with TORCH_INDEX empty, make install must not name an index or torch: {test}"
    assert pip_installs(lines) == [["-e", ".[dev]"]], lines


def test_torch_index_installs_torch_first_within_the_ranges():
    specs = torch_specs()
    assert [s.split("<")[0].split(">")[0] for s in specs] == ["torch", "torchvision"], specs
    assert all("<=" in s for s in specs), f"settings.ini caps torch and torchvision: {specs}"
    installs = pip_installs(install_recipe(f"TORCH_INDEX={CPU}"))
    assert installs == [["--index-url", CPU, *specs], ["-e", ".[dev]"]], installs


def test_course_installs_through_the_same_recipe():
    r = subprocess.run(["make", "-n", "-B", "course", f"TORCH_INDEX={CPU}"], cwd=ROOT, capture_output=True, text=True, check=True)
    lines = r.stdout.splitlines()
    first_torch = next(i for i, l in enumerate(lines) if "--index-url" in l)
    assert first_torch < next(i for i, l in enumerate(lines) if 'install -e ".[dev]"' in l) \
        < next(i for i, l in enumerate(lines) if "run_notebooks.py" in l)
