#!/usr/bin/env python
"""k = 5000 importance-sampled test log-likelihood: speed and memory of `vae_course.iwae.log_likelihood`.

Model: Burda et al.'s 784-200-200-50 tanh VAE (`arch="burda"`, Bernoulli decoder): the VAE of notebook 06
trained on the paper's full schedule (results/burda/06_vae_k1_b100/checkpoint.pt, test NLL 87.42 in 06)
when it is there, else a model trained here for two epochs at batch 100 (under a minute), so that the
accuracy check sees realistic weights (the cost per sample does not depend on them). Data: the 10,000
MNIST test images, binarized by notebook 06's fixed draw. Work: k = 5000 samples per image, 5e7 decoder
passes, 2.07e13 floating-point operations in the decoder's matrix products.

First checks that the path timed (by default compiled float32, `_fast_log_weights`, the decoder's products
through oneDNN, `_onednn_decoder`) agrees with the plain one
(float32, eager) on 200 images x k = 500, same draws, as `log_likelihood`'s docstring promises: in float32 every
image within 1e-3 nats; with `--precision bf16` (bf16 matrix products) the mean NLL within 0.02 nats, the largest
single image printed. Then times the full evaluation on that path (compilation included) and prints wall time,
images/s, the decoder's achieved GFLOP/s and its share of the matrix-product floor (the decoder's FLOP at the peak rate of this process, in the
precision timed, measured just before and just after the evaluation: the machine may be shared and its
speed move), the NLL, the peak resident memory of this process and the machine's load average, and last
`nll_eval_seconds=<s>` (target <= 150 s on 2 CPU cores, peak RSS < 4 GB).

`--compare-products N` instead measures what oneDNN's products (`_onednn_decoder`, the default's) save
against `addmm`'s on the same compiled path: N batches of 100 images x k = 5000, every chunk of draws scored
by both, in alternating order (A B, B A, ...), so that the machine's load lands on both alike; prints the
median and quartiles of the per-batch time ratio (the first batch, which compiles, left out) and last
`onednn_vs_addmm=<ratio>` (below 1: oneDNN faster).
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
    ap.add_argument("--compare-products", type=int, metavar="N", default=0,
                    help="time oneDNN's products against addmm's on N batches of 100 images, paired per chunk")
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

    if a.compare_products: return compare_products(model, images, a.k, a.compare_products)
    plain = dict(precision="fp32", compile=False)
    fast = plain if a.plain else dict(compile=True) | ({} if a.precision == "default" else {"precision": a.precision})
    ref = log_likelihood(model, images[:200], k=500, seed=1, progress=False, **plain)
    chk = log_likelihood(model, images[:200], k=500, seed=1, progress=False, **fast)
    default = inspect.signature(log_likelihood).parameters["precision"].default
    timed = "fp32" if a.plain else resolve_precision(fast.get("precision", default))   # the precision of the products timed
    d = chk.log_px - ref.log_px
    allowed = "mean 0.02" if timed == "bf16" else "every image 0.001"
    print(f"check: the {timed} path timed vs the plain one on 200 images x k = 500, same draws: mean NLL differs by "
          f"{-d.mean():+.1e} nats, largest image by {d.abs().max():.1e} (allowed: {allowed})")
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


def compare_products(model, images, k: int, batches: int) -> None:
    "Seconds of the compiled log-weights per batch, `addmm`'s products against oneDNN's, paired chunk by chunk."
    import math, statistics
    import torch
    from vae_course.gradients import reparameterize
    from vae_course.iwae import _accumulate, _fast_log_weights, _onednn_decoder, _own_cache
    if len(images) < 100 * batches: sys.exit(f"--compare-products {batches} needs {100 * batches} images")
    model = model.eval()
    dnn = _onednn_decoder(model)
    if dnn is model: sys.exit("oneDNN's products are not available here (no oneDNN, or not a float32 CPU model)")
    sides = {"addmm": (model, torch.compile(_own_cache(_fast_log_weights), dynamic=False)),
             "oneDNN": (dnn, torch.compile(_own_cache(_fast_log_weights), dynamic=False))}
    g = torch.Generator().manual_seed(0)
    ratios, totals, chunk = [], {s: 0.0 for s in sides}, min(50, k)
    with torch.no_grad():
        for b in range(batches):
            x = images[100 * b:100 * (b + 1)]
            mu, logvar = model.encode(x)
            lse = torch.full((len(x),), -math.inf, dtype=torch.float64)
            lse1, lse2, spent = lse, lse.clone(), {s: 0.0 for s in sides}
            for c in range(k // chunk):
                z = reparameterize(mu, logvar, chunk, g)
                for s in (list(sides) if c % 2 == 0 else list(sides)[::-1]):
                    m, fn = sides[s]
                    t0 = time.perf_counter()
                    lw = fn(m, x, mu, logvar, z)[0]
                    spent[s] += time.perf_counter() - t0
                lse1, lse2 = _accumulate(lse1, lse2, lw)                 # as log_likelihood does between chunks
            print(f"batch {b + 1}: addmm {spent['addmm']:.2f} s, oneDNN {spent['oneDNN']:.2f} s"
                  + (" (compiling)" if b == 0 else ""), flush=True)
            if b == 0: continue
            ratios.append(spent["oneDNN"] / spent["addmm"])
            for s in sides: totals[s] += spent[s]
    if not ratios: sys.exit("--compare-products needs at least 2 batches (the first compiles)")
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    print(f"oneDNN / addmm, per batch of 100 images x k = {k}: median {statistics.median(ratios):.3f} "
          f"(quartiles {q[0]:.3f}-{q[2]:.3f}, {len(ratios)} batches); in all {totals['oneDNN']:.1f} s against "
          f"{totals['addmm']:.1f} s; {machine_load()}")
    print(f"onednn_vs_addmm={statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
