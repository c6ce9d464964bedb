#!/usr/bin/env python
"""k = 5000 importance-sampled test log-likelihood: speed and memory of `vae_course.iwae.log_likelihood`.

Model: Burda et al.'s 784-200-200-50 tanh VAE (`arch="burda"`, Bernoulli decoder): the VAE of notebook 06
trained on the paper's full schedule (results/burda/06_vae_k1_b100/checkpoint.pt, test NLL 87.42 in 06)
when it is there, else a model trained here for two epochs at batch 100 (under a minute), so that the
accuracy check sees realistic weights (the cost per sample does not depend on them). Data: the 10,000
MNIST test images, binarized by notebook 06's fixed draw. Work: k = 5000 samples per image, 5e7 decoder
passes, 2.07e13 floating-point operations in the decoder's matrix products.

First checks that the path timed (by default compiled float32, `_fast_log_weights`) agrees with the plain one
(float32, eager) on 200 images x k = 500, same draws, as `log_likelihood`'s docstring promises: in float32 every
image within 1e-3 nats; with `--precision bf16` (bf16 matrix products) the mean NLL within 0.02 nats, the largest
single image printed. Then times the full evaluation on that path (compilation included) and prints wall time,
images/s, the decoder's achieved GFLOP/s and its share of the matrix-product floor (the decoder's FLOP at the peak rate of this process, in the
precision timed, measured just before and just after the evaluation: the machine may be shared and its
speed move), the NLL, the peak resident memory of this process and the machine's load average, and last
`nll_eval_seconds=<s>` (target <= 150 s on 2 CPU cores, peak RSS < 4 GB).
"""
import argparse, inspect, os, resource, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import gemm_gflops, machine_load  # noqa: E402
DECODER_FLOP = 2 * (50 * 200 + 200 * 200 + 200 * 784)   # multiply-adds of one decoder pass, x2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=10_000, help="test images (default: all 10,000)")
    ap.add_argument("--k", type=int, default=5000, help="importance samples per image (default 5000)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's default)")
    ap.add_argument("--train-size", type=int, default=60_000,
                    help="without a checkpoint: training images of the model trained here (default 60,000)")
    ap.add_argument("--plain", action="store_true", help="time the plain path (float32, eager) instead")
    ap.add_argument("--precision", choices=["default", "fp32", "bf16", "auto"], default="default",
                    help="the compiled path's precision (default: log_likelihood's default)")
    ap.add_argument("--checkpoint", default=str(ROOT / "results" / "burda" / "06_vae_k1_b100" / "checkpoint.pt"),
                    help="the model to evaluate (default: 06's VAE on the full schedule; trained here for 2 epochs if missing)")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch
    from vae_course.iwae import burda_test_images, log_likelihood
    from vae_course.train import Trainer, load_model, resolve_precision
    if a.threads: torch.set_num_threads(a.threads)

    if Path(a.checkpoint).exists(): model, source = load_model(a.checkpoint)[0], a.checkpoint
    else:
        from vae_course.iwae import burda_config
        t = Trainer(burda_config("vae_k1", epochs=2, batch_size=100, train_size=a.train_size, compile="off"), progress=False); t.fit()
        model, source = t.eval_model, f"2 epochs of training on {a.train_size:,} images here (no checkpoint found)"
    images = burda_test_images()[:a.images]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; "
          f"model: Burda 784-200-200-50 from {source}; {len(images):,} images x k = {a.k}; {machine_load()}", flush=True)

    plain = dict(precision="fp32", compile=False)
    fast = plain if a.plain else dict(compile=True) | ({} if a.precision == "default" else {"precision": a.precision})
    ref = log_likelihood(model, images[:200], k=500, seed=1, progress=False, **plain)
    chk = log_likelihood(model, images[:200], k=500, seed=1, progress=False, **fast)
    default = inspect.signature(log_likelihood).parameters["precision"].default
    timed = "fp32" if a.plain else resolve_precision(fast.get("precision", default))   # the precision of the products timed
    d = chk.log_px - ref.log_px
    allowed = "mean 0.02" if timed == "bf16" else "every image 0.001"
    print(f"check: the {timed} path timed vs the plain one on 200 images x k = 500, same draws: mean NLL differs by "
          f"{-d.mean():+.4f} nats, largest image by {d.abs().max():.4f} (allowed: {allowed})")
    if d.mean().abs() > 0.02 or (timed == "fp32" and d.abs().max() > 1e-3):
        sys.exit("the fast log-likelihood does not agree with the plain one as log_likelihood's docstring promises")
    rate0 = gemm_gflops(timed)
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    ll = log_likelihood(model, images, k=a.k, progress=True, **fast)
    secs = time.perf_counter() - t0
    load1 = os.getloadavg()
    rate1 = gemm_gflops(timed)
    n = len(images) * a.k
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20     # KiB -> GiB
    print(f"test NLL {ll.nll:.2f} ± {ll.mc_se:.3f} nats (Monte Carlo) ± {ll.data_se:.2f} (images); median ESS {ll.ess.median():.0f}")
    floor = n * DECODER_FLOP / (max(rate0, rate1) * 1e9)
    print(f"wall time {secs:.1f} s (compilation included): {len(images) / secs:.1f} images/s, {n / secs / 1e6:.2f} M samples/s, "
          f"decoder {n * DECODER_FLOP / secs / 1e9:.0f} GFLOP/s; peak {timed} matrix-product rate here {rate0:.0f} GFLOP/s "
          f"before, {rate1:.0f} after, so the decoder's floor is {floor:.0f} s ({floor / secs:.0%} of it reached)")
    print(f"peak RSS {rss:.2f} GiB (target < 4); load average {load0[0]:.1f} before, {load1[0]:.1f} after "
          f"(on {os.cpu_count()} CPUs: other processes share them); target <= 150 s")
    print(f"nll_eval_seconds={secs:.1f}")


if __name__ == "__main__":
    main()
