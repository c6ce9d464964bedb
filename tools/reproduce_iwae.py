#!/usr/bin/env python
"""Reproduce Burda et al. (2016), Table 1: VAE (k=1), IWAE k=5 and IWAE k=50, one stochastic layer
(`vae_course.iwae.BURDA_TABLE1`, the default rows) or two (`vae_course.beyond_iwae.BURDA_TABLE1_TWO_LAYER`,
rows vae2_k1, iwae2_k5, iwae2_k50); and the table's VAE trained with k samples (rows vae_k5, vae_k50:
`BURDA_TABLE1_VAE_K`; vae2_k5, vae2_k50: `BURDA_TABLE1_TWO_LAYER_VAE_K`).

Trains each row through Burda et al.'s schedule (3,280 epochs:
3^i epochs at lr 1e-3 * 10^(-i/7), i = 0..7, batch 20, dynamically binarized MNIST, all 60,000
training images), resuming from OUT/06_<row>/checkpoint.pt when it exists, so the run can be
stopped and restarted at any time (Ctrl-C or `kill` stops it, also in the background: the stretch is
logged and the last epoch's checkpoint kept; or limit it with --budget-hours per session). At the end of each
stage (epochs 1, 4, 13, 40, 121, 364, 1093, 3280) it estimates the k = 5000 NLL of the first
--curve-images test images and appends it to OUT/06_<row>/curve.csv: the learning curve at equal
epochs, whatever stretches the run was split into. A --batch-size other than the paper's 20 runs
in OUT/06_<row>_b<size>/, and an --adam-eps other than PyTorch's default in OUT/06_<row>[_b<size>]_eps<ε>/,
so no two settings share a checkpoint. Then evaluates each
row with k = 5000 importance samples on the 10,000 binarized test images (the same images as
notebook 06) and writes OUT/06_full/table.md and OUT/06_full/results.json.

With the default --out nbs/runs it continues the runs of notebook 06's slow cells; re-running those
cells afterwards records the longer-trained numbers in nbs/results.json.

Examples:
  python tools/reproduce_iwae.py                           # everything, as long as it takes
  python tools/reproduce_iwae.py --budget-hours 8          # at most 8 hours of training per row now
  python tools/reproduce_iwae.py --device cuda --rows iwae_k50
  python tools/reproduce_iwae.py --rows vae_k1 --batch-size 100 --out results/burda --threads 1
"""
from __future__ import annotations

import argparse
from functools import partial
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    import torch
    from vae_course.checkpoints import load_checkpoint
    from vae_course.io import atomic_write, read_csv, write_csv
    from vae_course.iwae import (BURDA_TABLE1, BURDA_TABLE1_VAE_K, burda_config, burda_schedule, burda_test_images,
                                 fit_schedule, log_likelihood, table_markdown, table_row)
    from vae_course.beyond_iwae import BURDA_TABLE1_TWO_LAYER, BURDA_TABLE1_TWO_LAYER_VAE_K, burda2_config
    one_layer = {**BURDA_TABLE1, **BURDA_TABLE1_VAE_K}
    table = {**one_layer, **BURDA_TABLE1_TWO_LAYER, **BURDA_TABLE1_TWO_LAYER_VAE_K}

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="+", default=list(BURDA_TABLE1), choices=list(table),
                    help="rows to run (default: the one-layer rows)")
    ap.add_argument("--out", default=str(ROOT / "nbs" / "runs"), help="folder of the 06_<row>/ runs (default: nbs/runs)")
    ap.add_argument("--budget-hours", type=float, default=None,
                    help="training time per row in this session, checked between epochs (default: no limit)")
    ap.add_argument("--stages", type=int, default=8, help="stages of the schedule (default 8: 3,280 epochs)")
    ap.add_argument("--device", default="auto", help="'cpu', 'cuda', ... or 'auto' (default)")
    ap.add_argument("--k", type=int, default=5000, help="importance samples per test image (default 5000)")
    ap.add_argument("--n-test", type=int, default=10_000, help="test images to evaluate (default: all 10,000)")
    ap.add_argument("--no-compile", action="store_true", help="evaluate without torch.compile")
    ap.add_argument("--data-root", default=None, help="data root holding MNIST/raw (default: $VAE_COURSE_DATA)")
    ap.add_argument("--train-size", type=int, default=None, help="train on the first N images only (smoke tests)")
    ap.add_argument("--batch-size", type=int, default=20, help="training batch size (default: the paper's 20)")
    ap.add_argument("--curve-images", type=int, default=1000,
                    help="test images for the NLL at each stage's end, in curve.csv (default 1000; 0: no curve)")
    ap.add_argument("--score", action="store_true",
                    help="score a finished schedule of fewer than 8 stages on the test set too (default: only the full one)")
    ap.add_argument("--adam-eps", type=float, default=None,
                    help="Adam's ε (default: PyTorch's 1e-8, the course's runs; Burda et al. used 1e-4)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    a = ap.parse_args(argv)
    if a.batch_size < 1: ap.error(f"--batch-size must be positive, got {a.batch_size}")
    if a.adam_eps is not None and not a.adam_eps > 0: ap.error(f"--adam-eps must be positive, got {a.adam_eps}")
    if a.threads is not None: torch.set_num_threads(a.threads)

    device = ("cuda" if torch.cuda.is_available() else "cpu") if a.device == "auto" else a.device
    schedule = burda_schedule(a.stages)
    out = Path(a.out)
    images = burda_test_images(a.data_root)[:a.n_test]
    for row in a.rows:
        cfg = (partial(burda_config, table=one_layer) if row in one_layer else burda2_config)(row, device=device, data_root=a.data_root, epochs=schedule[-1][0], train_size=a.train_size,
                           batch_size=a.batch_size, **({} if a.adam_eps is None else dict(adam_eps=a.adam_eps)))
        run = out / (f"06_{row}" + ("" if a.batch_size == 20 else f"_b{a.batch_size}") + ("" if a.adam_eps is None else f"_eps{a.adam_eps:.0e}"))
        t0 = time.perf_counter()
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        first = load_checkpoint(run / "checkpoint.pt")["epoch"] + 1 if (run / "checkpoint.pt").exists() else 1   # this stretch's first epoch
        budget = None if a.budget_hours is None else 3600 * a.budget_hours
        ck = run / "checkpoint.pt"
        try:
            for stage in range(1, len(schedule) + 1):             # one stage at a time, so the curve is taken at its end
                left = None if budget is None else budget - (time.perf_counter() - t0)
                if left is not None and left <= 0: break
                t = fit_schedule(cfg, run, schedule[:stage], budget_s=left, progress=True)
                if t.epoch < schedule[stage - 1][0]: break        # the budget ran out inside this stage
                if t.epoch > schedule[stage - 1][0]: continue     # a resumed run past this stage: its point was taken then
                if a.curve_images: _curve_point(t, run / "curve.csv", images[:a.curve_images], a.k, log_likelihood,
                                                read_csv, write_csv, compile=not a.no_compile)
        except KeyboardInterrupt:                              # Ctrl-C or kill: the stretch up to the last checkpoint is logged
            last = load_checkpoint(ck)["epoch"] if ck.exists() else 0
            if last >= first: _log_stretch(run / "stretches.csv", started, first, last, time.perf_counter() - t0, cfg, read_csv, write_csv)
            raise
        print(f"{row}: epoch {t.epoch} of {schedule[-1][0]} ({(time.perf_counter() - t0) / 60:.1f} min this session)",
              flush=True)
        if t.epoch >= first: _log_stretch(run / "stretches.csv", started, first, t.epoch, time.perf_counter() - t0, t.cfg, read_csv, write_csv)
        if t.epoch < schedule[-1][0]:
            print(f"{row}: not evaluated on the test set: its schedule is not finished (run again to resume)", flush=True)
            continue
        if a.stages < 8 and not a.score:
            print(f"{row}: {a.stages} of 8 stages done; not scored on the test set (pass --score to score it)", flush=True)
            continue
        old = json.loads((run / "result.json").read_text()) if (run / "result.json").exists() else None
        if old is None or old["epochs"] != t.epoch:             # scored once per epoch count, replaced when trained on
            r = table_row(row, t, images.to(t.device), k=a.k, compile=not a.no_compile, progress=True)
            r.update(run=run.name, batch_size=a.batch_size, adam_eps=t.cfg.adam_eps, stages=len(schedule))
            atomic_write(run / "result.json", json.dumps(r, indent=1) + "\n")
        r = json.loads((run / "result.json").read_text())
        print(f"{row}: test NLL {r['nll']:.2f} ± {r['mc_se']:.3f} nats (k = {r['k']}, {r['n_images']:,} images), "
              f"{r['active_units']} active units; Burda et al.: {table[row]['nll']:.2f}", flush=True)
    rows = [json.loads(f.read_text()) for f in sorted(out.glob("06_*/result.json"))]   # every finished run in OUT
    if rows:
        res = out / "06_full"
        res.mkdir(parents=True, exist_ok=True)
        atomic_write(res / "results.json", json.dumps(rows, indent=1) + "\n")
        atomic_write(res / "table.md", table_markdown(rows, table) + "\n")
        print(table_markdown(rows, table))
    return 0


def _log_stretch(path: Path, started: str, first: int, last: int, seconds: float, cfg, read_csv, write_csv) -> None:
    "Append a row to the run's log of stretches: which epochs were trained when, on what, in which precision."
    import platform
    import torch
    from vae_course.train import _device, fast_bf16, resolve_precision
    device = _device(cfg.device)
    info = Path("/proc/cpuinfo")
    cpu = next((l.split(":", 1)[1].strip() for l in info.read_text().splitlines() if l.startswith("model name")),
               platform.processor()) if info.exists() else platform.processor()
    rows = read_csv(path) if path.exists() else []
    rows.append(dict(started_utc=started, first_epoch=first, last_epoch=last, wall_s=round(seconds), device=str(device),
                     precision=resolve_precision(cfg.precision, device), fast_bf16=fast_bf16(device),
                     threads=torch.get_num_threads(), cpu=cpu, torch=torch.__version__))
    write_csv(path, rows)


def _curve_point(t, path: Path, images, k: int, log_likelihood, read_csv, write_csv, **kw) -> None:
    "Append the k-sample test NLL of `images` at the trainer's epoch to the CSV at `path`, unless it is already there."
    rows = read_csv(path) if path.exists() else []
    if any(int(r["epoch"]) == t.epoch for r in rows): return
    ll = log_likelihood(t.eval_model, images.to(t.device), k=k, **kw)
    rows.append(dict(epoch=t.epoch, lr=t.cfg.lr, batch_size=t.cfg.batch_size, n_images=len(images), k=k,
                     nll=round(ll.nll, 4), mc_se=round(ll.mc_se, 4), data_se=round(ll.data_se, 4),
                     train_s=round(sum(r["seconds"] for r in t.history), 1), eval_s=round(ll.seconds, 1)))
    write_csv(path, rows)
    print(f"curve: epoch {t.epoch}: NLL {ll.nll:.2f} ± {ll.data_se:.2f} on {len(images)} test images", flush=True)


def _run() -> int:
    "main() as a command: SIGINT and SIGTERM stop it cleanly (the stretch logged, the checkpoint kept), also in the background."
    # A shell without job control starts `cmd &` with SIGINT ignored, and `kill` sends SIGTERM, which would end
    # the process without logging the stretch it trained: interrupt_safely raises for both, where it is safe to.
    sys.path.insert(0, str(ROOT))
    import vae_course
    from vae_course.io import Interrupted, interrupt_safely
    try:
        with interrupt_safely(__file__, Path(vae_course.__file__).parent): return main()
    except Interrupted as e:                                  # 130 for SIGINT, 143 for SIGTERM, as a shell reports them
        print(f"reproduce_iwae: {e}; the stretch trained is logged and the last epoch's checkpoint kept: the same "
              "command resumes the run", file=sys.stderr)
        return 128 + e.signum


if __name__ == "__main__":
    sys.exit(_run())
