"""Paired, interleaved timing for the benchmarks in bench/: sides A, B, ... run in long-lived worker
processes, one round each in turn (A B A B ...), so that a change in the machine's load lands on both
sides of a ratio alike. Each ratio is reported as the median of the per-round ratios with its spread.

A benchmark script implements `setup(side, args) -> state`, `run_round(state) -> float` (seconds of one
round) and `finish(state) -> dict`, and calls `main_worker(...)` when started with `--worker SIDE`.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable


def machine_load() -> str:
    "The 1/5/15-minute load averages and the CPU count, for the record."
    l1, l5, l15 = os.getloadavg()
    return f"load average {l1:.2f} {l5:.2f} {l15:.2f} on {os.cpu_count()} CPUs"


def gemm_gflops(precision: str, seconds: float = 0.9) -> float:
    "Peak matrix-product rate in this process at `precision`: the best of [rows, 200] x [200, 784] (the decoder's output layer) for rows = 1,000, 2,000, 5,000."
    import torch
    dt = torch.bfloat16 if precision == "bf16" else torch.float32
    best = 0.0
    for rows in (1000, 2000, 5000):
        a, w = torch.randn(rows, 200, dtype=dt), torch.randn(200, 784, dtype=dt)
        for _ in range(3): a @ w
        n, t = 0, time.perf_counter()
        while time.perf_counter() - t < seconds / 3: a @ w; n += 1
        best = max(best, 2 * rows * 200 * 784 * n / (time.perf_counter() - t) / 1e9)
    return best


def main_worker(side: str, setup: Callable, run_round: Callable, finish: Callable, args) -> None:
    "Worker loop: set up, then answer 'run' with one round's seconds and 'finish' with the final dict."
    state = setup(side, args)
    print(json.dumps({"ready": side}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "run": print(json.dumps({"seconds": run_round(state)}), flush=True)
        elif cmd == "finish":
            out = finish(state)
            out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(json.dumps(out), flush=True)
            return


class Worker:
    "One side of a benchmark, in its own process (same layout for every side)."

    def __init__(self, script: str, side: str, extra: list[str], env: dict | None = None):
        self.side = side
        self.p = subprocess.Popen([sys.executable, script, "--worker", side, *extra], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env)
        self._read("ready")

    def _read(self, key: str) -> dict:
        for line in self.p.stdout:
            try: msg = json.loads(line)
            except json.JSONDecodeError: continue                   # stray output of the side's code
            if key in msg: return msg
        raise RuntimeError(f"worker {self.side!r} ended without answering {key!r} (exit {self.p.wait()})")

    def round(self) -> float:
        self.p.stdin.write("run\n"); self.p.stdin.flush()
        return self._read("seconds")["seconds"]

    def finish(self) -> dict:
        self.p.stdin.write("finish\n"); self.p.stdin.flush()
        out = self._read("peak_rss_mb"); self.p.wait()
        return out


def interleaved(workers: list[Worker], rounds: int, warmup: int = 1, log=print) -> dict[str, list[float]]:
    "Run `warmup` untimed rounds, then `rounds` timed rounds of every worker in turn; seconds per side."
    times = {w.side: [] for w in workers}
    for r in range(warmup + rounds):
        for w in workers:
            t = w.round()
            if r >= warmup: times[w.side].append(t)
        if r >= warmup:
            log(f"round {r - warmup + 1}/{rounds}: " + "  ".join(f"{s} {v[-1]:.3f} s" for s, v in times.items())
                + f"  ({machine_load()})")
    return times


def paired_ratio(a: list[float], b: list[float]) -> dict:
    "Median and quartiles of the per-round ratios a_i / b_i (how many times faster b is than a)."
    rs = sorted(x / y for x, y in zip(a, b))
    q = statistics.quantiles(rs, n=4) if len(rs) >= 2 else [rs[0]] * 3
    return {"median": statistics.median(rs), "q1": q[0], "q3": q[2], "min": rs[0], "max": rs[-1], "n": len(rs)}


def fmt_ratio(r: dict) -> str:
    return f"{r['median']:.2f}x (quartiles {r['q1']:.2f}–{r['q3']:.2f}, range {r['min']:.2f}–{r['max']:.2f}, {r['n']} paired rounds)"
