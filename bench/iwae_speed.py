#!/usr/bin/env python
"""IWAE training speed: seconds per epoch of Burda et al.'s 784-200-200-50 model against its FLOP floor.

For k = 1, 5 and 50 importance samples and batch sizes 20 (the paper's) and 100, trains one full epoch
of the 60,000 MNIST training images (dynamic binarization, the 'iwae' objective, the trainer's default
fast paths: bf16 matrix products where the CPU has fast bf16, the loss compiled) after a short
untimed warm-up run that compiles it. The encoder runs once per image, the decoder k times: an epoch's
matrix products are 60,000 x (987,200 + k x 1,240,800) FLOP (forward and backward; no input gradient
for the first layer). A floor is that count at the peak matrix-product rate measured in this process
on the decoder's largest layer ([rows, 200] x [200, 784], the best of 1,000, 2,000 and 5,000 rows): the
float32 floor (plain float32 products, the yardstick) and, where the CPU has fast bf16, the stricter bf16
floor (the bf16 products the trainer then uses). Small batches cannot reach the peak rate; that is part of what the
ratio to the floor shows.

Prints a line per configuration (seconds per epoch, images/s, both floors and the ratios to them) and
the machine's load; last line `iwae_k50_floor_ratio=<ratio>`: the k = 50 epoch at batch 20 over its
float32 floor (target <= 2).
"""
import argparse, os, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import machine_load  # noqa: E402

ENC_FLOP = 3 * 2 * (784 * 200 + 200 * 200 + 200 * 100) - 2 * 784 * 200   # per image: forward + backward
DEC_FLOP = 3 * 2 * (50 * 200 + 200 * 200 + 200 * 784)                     # per sample: forward + backward


def gemm_gflops(precision: str, seconds: float = 1.0) -> float:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ks", default="1,5,50", help="importance samples to time (default 1,5,50)")
    ap.add_argument("--batches", default="20,100", help="batch sizes to time (default 20,100)")
    ap.add_argument("--precision", default="auto", help="TrainConfig.precision (default auto)")
    ap.add_argument("--compile", default="on", help="TrainConfig.compile (default on)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's default)")
    ap.add_argument("--train-size", type=int, default=60_000, help="training images per epoch (default 60,000; fewer for a smoke test)")
    a = ap.parse_args()
    import torch
    import vae_course.iwae  # noqa: F401  (registers the 'iwae' objective)
    from vae_course.iwae import burda_config
    from vae_course.train import Trainer, fast_bf16, resolve_precision
    if a.threads: torch.set_num_threads(a.threads)
    prec = resolve_precision(a.precision)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; precision {prec}, "
          f"compile {a.compile}; {machine_load()}", flush=True)
    r32 = gemm_gflops("fp32")
    r16 = gemm_gflops("bf16") if fast_bf16() else None             # bf16 products without AVX512-BF16/AMX: emulated, slow
    print(f"peak matrix-product rates here ([rows, 200] x [200, 784], best of 1,000 to 5,000 rows): float32 {r32:.0f} GFLOP/s, "
          + (f"bf16 {r16:.0f} GFLOP/s" if r16 else "no fast bf16 on this CPU"), flush=True)
    ratios = {}
    for b in map(int, a.batches.split(",")):
        for k in map(int, a.ks.split(",")):
            row = "vae_k1" if k == 1 else "iwae_k5"                  # the objective: the ELBO, or L_k with k = n_samples
            kw = dict(batch_size=b, n_samples=k, precision=a.precision, compile=a.compile, epochs=1)
            warm = Trainer(burda_config(row, train_size=20 * b, **kw), progress=False); warm.fit()
            t = Trainer(burda_config(row, train_size=a.train_size, **kw), progress=False)
            t0 = time.perf_counter(); t.fit(); secs = time.perf_counter() - t0
            flop = a.train_size * (ENC_FLOP + k * DEC_FLOP)
            f32 = flop / (r32 * 1e9)
            ratios[(b, k)] = secs / f32
            bf = f"bf16 floor {flop / (r16 * 1e9):5.1f} s: {secs * r16 * 1e9 / flop:.2f}x; " if r16 else ""
            print(f"batch {b:3d}, k = {k:2d}: {secs:6.1f} s/epoch, {a.train_size / secs:6.0f} images/s; {flop:.2e} FLOP; "
                  f"float32 floor {f32:5.1f} s: {secs / f32:.2f}x; {bf}{machine_load()}", flush=True)
    if (20, 50) in ratios: print(f"iwae_k50_floor_ratio={ratios[(20, 50)]:.2f}")


if __name__ == "__main__":
    main()
