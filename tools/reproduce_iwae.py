#!/usr/bin/env python
"""Reproduce Burda et al. (2016), Table 1, one stochastic layer: VAE (k=1), IWAE k=5 and IWAE k=50.

Trains each row of `vae_course.iwae.BURDA_TABLE1` through Burda et al.'s schedule (3,280 epochs:
3^i epochs at lr 1e-3 * 10^(-i/7), i = 0..7, batch 20, dynamically binarized MNIST, all 60,000
training images), resuming from OUT/06_<row>/checkpoint.pt when it exists, so the run can be
stopped and restarted at any time (or limited with --budget-hours per session). Then evaluates each
row with k = 5000 importance samples on the 10,000 binarized test images (the same images as
notebook 06) and writes OUT/06_full/table.md and OUT/06_full/results.json.

With the default --out nbs/runs it continues the runs of notebook 06's slow cells; re-running those
cells afterwards records the longer-trained numbers in nbs/results.json.

Examples:
  python tools/reproduce_iwae.py                           # everything, as long as it takes
  python tools/reproduce_iwae.py --budget-hours 8          # at most 8 hours of training per row now
  python tools/reproduce_iwae.py --device cuda --rows iwae_k50
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    import torch
    from vae_course.iwae import (BURDA_TABLE1, burda_config, burda_schedule, burda_test_images, fit_schedule,
                                 table_markdown, table_row)

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="+", default=list(BURDA_TABLE1), choices=list(BURDA_TABLE1), help="rows to run")
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
    a = ap.parse_args(argv)

    device = ("cuda" if torch.cuda.is_available() else "cpu") if a.device == "auto" else a.device
    schedule = burda_schedule(a.stages)
    out = Path(a.out)
    images = burda_test_images(a.data_root)[:a.n_test]
    rows = []
    for row in a.rows:
        cfg = burda_config(row, device=device, data_root=a.data_root, epochs=schedule[-1][0], train_size=a.train_size)
        t0 = time.perf_counter()
        t = fit_schedule(cfg, out / f"06_{row}", schedule,
                         budget_s=None if a.budget_hours is None else 3600 * a.budget_hours, progress=True)
        print(f"{row}: epoch {t.epoch} of {schedule[-1][0]} ({(time.perf_counter() - t0) / 60:.1f} min this session)",
              flush=True)
        r = table_row(row, t, images.to(t.device), k=a.k, compile=not a.no_compile, progress=True)
        print(f"{row}: test NLL {r['nll']:.2f} ± {r['mc_se']:.3f} nats (k = {a.k}, {r['n_images']:,} images), "
              f"{r['active_units']} active units; Burda et al.: {BURDA_TABLE1[row]['nll']:.2f}", flush=True)
        rows.append(r)
    res = out / "06_full"
    res.mkdir(parents=True, exist_ok=True)
    (res / "results.json").write_text(json.dumps(rows, indent=1) + "\n")
    (res / "table.md").write_text(table_markdown(rows) + "\n")
    print(table_markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
