"""Smoke tests of the benchmarks in bench/: each runs on a tiny budget and ends with its `name=<number>` line.

The figures themselves are not tested (timings on a shared machine are not test material); what is
tested is that the scripts run against the current library and print what their docstrings promise.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import needs_data

ROOT = Path(__file__).resolve().parents[1]


def run_bench(name: str, *args: str) -> list[str]:
    env = {**os.environ, "VAE_COURSE_QUIET": "1"}
    p = subprocess.run([sys.executable, str(ROOT / "bench" / name), *args], capture_output=True, text=True,
                       env=env, timeout=600, cwd=ROOT)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    return p.stdout.strip().splitlines()




@needs_data
def test_iwae_speed_smoke():
    out = run_bench("iwae_speed.py", "--ks", "1,50", "--batches", "20", "--rounds", "2", "--round-size", "400", "--compile", "off")
    rows = [l for l in out if l.startswith("batch ")]
    assert len(rows) == 2 and all("float32 floor" in r and "paired rounds" in r for r in rows), out
    assert re.fullmatch(r"iwae_k50_floor_ratio=\d+\.\d\d", out[-1]), out[-1]


@needs_data
@pytest.mark.parametrize("precision", ["default", "bf16"])
def test_nll_speed_smoke(precision):
    out = run_bench("nll_speed.py", "--images", "200", "--k", "200", "--train-size", "2000", "--precision", precision)
    timed = "bf16" if precision == "bf16" else "fp32"          # log_likelihood's default is float32
    assert any(l.startswith(f"check: the {timed} path timed vs the plain one") for l in out), out
    assert re.fullmatch(r"nll_eval_seconds=\d+\.\d", out[-1]), out[-1]


@needs_data
def test_nll_speed_compares_products():
    "--compare-products times addmm's and oneDNN's products on the same chunks of draws, batch by batch."
    out = run_bench("nll_speed.py", "--images", "300", "--k", "100", "--train-size", "2000", "--compare-products", "3")
    assert [l.split(":")[0] for l in out if l.startswith("batch ")] == ["batch 1", "batch 2", "batch 3"], out
    assert any(l.startswith("oneDNN / addmm, per batch") and "2 batches" in l for l in out), out
    assert re.fullmatch(r"onednn_vs_addmm=\d+\.\d{3}", out[-1]), out[-1]


@needs_data
def test_likelihood_speed_smoke():
    out = run_bench("likelihood_speed.py", "--rounds", "1", "--round-size", "100", "--k", "2")
    assert any(l.startswith("fused vs reference:") and "paired rounds" in l for l in out), out
    assert re.fullmatch(r"fused_bernoulli_speedup=\d+\.\d\d", out[-1]), out[-1]
