#!/usr/bin/env python
"""The fused Bernoulli likelihood in compiled training: `bernoulli_log_prob_fused` (03: one exp per pixel,
one log per block of pixels, the gradient x - sigmoid(l) by hand) against the reference `bernoulli_log_prob`
with autograd's backward, in the same compiled IWAE training step.

Model and data: Burda et al.'s 784-200-200-50 model, the 'iwae' objective with k = 50 (`--k`) at batch 20
(`--batch`), dynamic binarization, the loss compiled (the trainer's default for long runs). The two sides
differ only in the decoder's likelihood (the reference side sets `Bernoulli.log_prob` back to
`bernoulli_log_prob`); each lives in its own worker process of the same layout and trains one epoch of
`--round-size` images per round, the sides taking turns (bench/interleave.py). Prints each round, the
median ratio of paired rounds with its spread, each side's training loss after the last round and the
machine's load; last line `fused_bernoulli_speedup=<median ratio>` (reference time / fused time). The two
losses are not equal: the gradients agree to float32 rounding (notebook 03 checks them), but Adam's
first steps follow the gradients' signs, so rounding sends the two runs on different trajectories
(measured over 8 epochs of 6,000 images: the fused run lower after epochs 1-5, higher after 6-8).

Threads: one torch thread per side by default (`--threads`; 0: torch's default), as in train_speed.py: with
torch's two threads per side and another two-thread process on these 2 cores, the rounds' ratios ran from 0.48
to 1.32 (median 0.87; quiet, 0.98-1.14), every parallel region waiting for a thread the scheduler put off its core.
"""
import argparse, os, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import Worker, fmt_ratio, interleaved, machine_load, main_worker, paired_ratio  # noqa: E402


def setup(side: str, a):
    import torch
    if a.threads: torch.set_num_threads(a.threads)
    import vae_course.iwae  # noqa: F401  (registers the 'iwae' objective)
    import vae_course.models as models
    from vae_course.iwae import burda_config
    from vae_course.likelihoods import bernoulli_log_prob
    from vae_course.train import Trainer
    if side == "reference": models.Bernoulli.log_prob = lambda self, x, params: bernoulli_log_prob(x, params)
    t = Trainer(burda_config("iwae_k5", n_samples=a.k, batch_size=a.batch, train_size=a.round_size,
                             epochs=a.rounds + 2, compile="on"), progress=False)
    t.fit(1)                                                          # compiles
    return t


def run_round(t) -> float:
    t0 = time.perf_counter(); t.fit(t.epoch + 1); return time.perf_counter() - t0


def finish(t) -> dict: return {"train_loss": t.history[-1]["train_loss"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=50, help="importance samples (default 50)")
    ap.add_argument("--batch", type=int, default=20, help="batch size (default 20)")
    ap.add_argument("--rounds", type=int, default=6, help="timed rounds per side (default 6, after 1 untimed)")
    ap.add_argument("--round-size", type=int, default=6000, help="training images per round (default 6,000)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per side (default 1; 0: torch's default)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker: return main_worker(a.worker, setup, run_round, finish, a)
    print(f"Burda 784-200-200-50, 'iwae' k = {a.k}, batch {a.batch}, compiled; {a.threads or 'default'} thread(s) per side; "
          f"{a.rounds} rounds of {a.round_size:,} images per side, interleaved; {machine_load()}", flush=True)
    extra = [f"--k={a.k}", f"--batch={a.batch}", f"--rounds={a.rounds}", f"--round-size={a.round_size}",
             f"--threads={a.threads}"]
    ws = [Worker(__file__, side, extra) for side in ("reference", "fused")]
    times = interleaved(ws, a.rounds)
    res = {w.side: w.finish() for w in ws}
    r = paired_ratio(times["reference"], times["fused"])
    print(f"training loss after the last round: reference {res['reference']['train_loss']:.3f}, fused {res['fused']['train_loss']:.3f}")
    print(f"fused vs reference: {fmt_ratio(r)} faster per round; {machine_load()}")
    print(f"fused_bernoulli_speedup={r['median']:.2f}")


if __name__ == "__main__":
    main()
