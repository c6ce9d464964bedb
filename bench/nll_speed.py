#!/usr/bin/env python
"""k = 5000 importance-sampled test log-likelihood: speed and memory of `vae_course.iwae.log_likelihood`.

Model: Burda et al.'s 784-200-200-50 tanh VAE (`arch="burda"`, Bernoulli decoder), the weights of
notebook 06's VAE run (nbs/runs/06_vae_k1/checkpoint.pt) when it exists, else a fresh initialization
(the cost per sample does not depend on the weights). Data: the 10,000 MNIST test images,
binarized by notebook 06's fixed draw. Work: k = 5000 samples per image, 5e7 decoder passes, about
2.1e13 floating-point operations in the decoder's matrix products.

First checks that the compiled path (`compile=True`, used here) gives the eager path's numbers on 50
images, then times the full evaluation (compilation included), and prints wall time, images/s,
samples/s, the decoder's achieved GFLOP/s, the NLL, the peak resident memory of this process and
the machine's load average (the machine may be shared), and last `nll_eval_seconds=<s>`
(target <= 300 s on 2 CPU cores, peak RSS < 4 GB).
"""
import argparse, os, resource, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DECODER_FLOP = 2 * (50 * 200 + 200 * 200 + 200 * 784)   # multiply-adds of one decoder pass, x2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=10_000, help="test images (default: all 10,000)")
    ap.add_argument("--k", type=int, default=5000, help="importance samples per image (default 5000)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's default)")
    ap.add_argument("--no-compile", action="store_true", help="time the eager path instead")
    ap.add_argument("--checkpoint", default=str(ROOT / "nbs" / "runs" / "06_vae_k1" / "checkpoint.pt"))
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch
    from vae_course.iwae import burda_test_images, log_likelihood
    from vae_course.models import build_vae
    from vae_course.train import Trainer
    if a.threads: torch.set_num_threads(a.threads)

    if Path(a.checkpoint).exists(): model = Trainer.load(a.checkpoint, progress=False).eval_model; source = a.checkpoint
    else: torch.manual_seed(0); model = build_vae("burda"); source = "a fresh initialization (no checkpoint found)"
    images = burda_test_images()[:a.images]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; "
          f"model: Burda 784-200-200-50 from {source}; {len(images):,} images x k = {a.k}", flush=True)

    ref = log_likelihood(model, images[:50], k=100, seed=1, progress=False)
    chk = log_likelihood(model, images[:50], k=100, seed=1, compile=not a.no_compile, progress=False)
    err = (ref.log_px - chk.log_px).abs().max().item()
    print(f"check: {'compiled' if not a.no_compile else 'eager'} vs eager on 50 images, same draws: max difference {err:.1e} nats")
    if err > 1e-3: sys.exit("the compiled log-likelihood differs from the eager one")

    load0 = os.getloadavg()
    t0 = time.perf_counter()
    ll = log_likelihood(model, images, k=a.k, compile=not a.no_compile, progress=True)
    secs = time.perf_counter() - t0
    load1 = os.getloadavg()
    n = len(images) * a.k
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20     # KiB -> GiB
    print(f"test NLL {ll.nll:.2f} ± {ll.mc_se:.3f} nats (Monte Carlo) ± {ll.data_se:.2f} (images); median ESS {ll.ess.median():.0f}")
    print(f"wall time {secs:.1f} s (compilation included): {len(images) / secs:.1f} images/s, {n / secs / 1e6:.2f} M samples/s, "
          f"decoder {n * DECODER_FLOP / secs / 1e9:.0f} GFLOP/s")
    print(f"peak RSS {rss:.2f} GiB (target < 4); load average {load0[0]:.1f} before, {load1[0]:.1f} after "
          f"(on {os.cpu_count()} CPUs: other processes share them); target <= 300 s")
    print(f"nll_eval_seconds={secs:.1f}")


if __name__ == "__main__":
    main()
