#!/usr/bin/env python
"""IWAE training speed: seconds per epoch of Burda et al.'s 784-200-200-50 model against its FLOP floor.

For k = 1, 5 and 50 importance samples and batch sizes 20 (the paper's) and 100, trains with the
'iwae' objective (dynamic binarization, the trainer's default fast paths: bf16 matrix products where
the CPU has fast bf16, the loss compiled). The encoder runs once per image, the decoder k times: an
epoch's matrix products are 60,000 x (987,200 + k x 1,240,800) FLOP (forward and backward; no input
gradient for the first layer). The floor is that count at the peak matrix-product rate of this process
on the decoder's largest layer ([rows, 200] x [200, 784], the best of 1,000, 2,000 and 5,000 rows), in
float32 (the yardstick) and, where the CPU has fast bf16, in bf16 (the products the trainer then uses).

The machine is shared and its speed moves from minute to minute, so the floor is measured beside the
work it is compared with: each configuration runs `--rounds` timed rounds (after one untimed round that
compiles), and each round first measures the peak rate (about a second), then trains one epoch of
`--round-size` images (default 10,000: six rounds are one 60,000-image epoch). A round's ratio is its
training time over its own floor; the figure is the median of the rounds' ratios, with its spread.
Seconds per epoch are the median round scaled to 60,000 images.

Prints a line per configuration and the machine's load; last line `iwae_k50_floor_ratio=<ratio>`: the
k = 50 epoch at batch 20 over its float32 floor (target <= 2).
"""
import argparse, os, statistics, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import fmt_ratio, gemm_gflops, machine_load, paired_ratio  # noqa: E402

ENC_FLOP = 3 * 2 * (784 * 200 + 200 * 200 + 200 * 100) - 2 * 784 * 200   # per image: forward + backward
DEC_FLOP = 3 * 2 * (50 * 200 + 200 * 200 + 200 * 784)                     # per sample: forward + backward


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ks", default="1,5,50", help="importance samples to time (default 1,5,50)")
    ap.add_argument("--batches", default="20,100", help="batch sizes to time (default 20,100)")
    ap.add_argument("--precision", default="auto", help="TrainConfig.precision (default auto)")
    ap.add_argument("--compile", default="on", help="TrainConfig.compile (default on)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's default)")
    ap.add_argument("--rounds", type=int, default=6, help="timed rounds per configuration (default 6)")
    ap.add_argument("--round-size", type=int, default=10_000, help="training images per round (default 10,000; fewer for a smoke test)")
    a = ap.parse_args()
    import torch
    import vae_course.iwae  # noqa: F401  (registers the 'iwae' objective)
    from vae_course.iwae import burda_config
    from vae_course.train import Trainer, fast_bf16, resolve_precision
    if a.threads: torch.set_num_threads(a.threads)
    prec = resolve_precision(a.precision)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; precision {prec}, "
          f"compile {a.compile}; {machine_load()}", flush=True)
    bf16 = fast_bf16()                                                 # bf16 products without AVX512-BF16/AMX: emulated, slow
    ratios = {}
    for b in map(int, a.batches.split(",")):
        for k in map(int, a.ks.split(",")):
            row = "vae_k1" if k == 1 else "iwae_k5"                  # the objective: the ELBO, or L_k with k = n_samples
            kw = dict(batch_size=b, n_samples=k, precision=a.precision, compile=a.compile, epochs=a.rounds + 1)
            t = Trainer(burda_config(row, train_size=a.round_size, **kw), progress=False)
            t.fit(1)                                                   # untimed: compiles
            flop = a.round_size * (ENC_FLOP + k * DEC_FLOP)
            secs, f32, f16 = [], [], []
            for _ in range(a.rounds):
                f32.append(flop / (gemm_gflops("fp32") * 1e9))
                if bf16: f16.append(flop / (gemm_gflops("bf16") * 1e9))
                t0 = time.perf_counter(); t.fit(t.epoch + 1); secs.append(time.perf_counter() - t0)
            ratios[(b, k)] = r = paired_ratio(secs, f32)
            per_epoch = 60_000 / a.round_size
            med, floor = statistics.median(secs), statistics.median(f32)
            print(f"batch {b:3d}, k = {k:2d}: {med * per_epoch:6.1f} s per 60,000-image epoch, {a.round_size / med:6.0f} images/s; "
                  f"float32 floor {floor * per_epoch:5.1f} s ({flop / floor / 1e9:.0f} GFLOP/s): {fmt_ratio(r)} the floor"
                  + (f"; bf16 floor {statistics.median(f16) * per_epoch:5.1f} s: {paired_ratio(secs, f16)['median']:.2f}x" if bf16 else "")
                  + f"; {machine_load()}", flush=True)
    if (20, 50) in ratios: print(f"iwae_k50_floor_ratio={ratios[(20, 50)]['median']:.2f}")


if __name__ == "__main__":
    main()
