#!/usr/bin/env python
"""One epoch of 128-image batches with dynamic binarization: `vae_course.data.Batches` vs the textbook
`DataLoader(torchvision.datasets.MNIST(transform=ToTensor()), num_workers=0)` + `torch.bernoulli`.

The two sides run in two worker processes of the same layout, one epoch each in turn (A B A B ...,
bench/interleave.py), so a change of the machine's load lands on both; the ratio printed is the
median of the per-round ratios with its spread; a round of ours is 10 epochs (its mean is reported),
so that both sides' rounds last seconds. Prints the machine's load, and last
`data_speedup=<ratio>` (target >= 10).
Data root: --root, else $VAE_COURSE_DATA, else the per-user cache (see nbs/00_data.ipynb).
"""
import argparse, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import Worker, fmt_ratio, interleaved, machine_load, main_worker, paired_ratio  # noqa: E402


def setup(side: str, a) -> dict:
    import torch
    from vae_course.data import Batches, load_split, search_dirs
    torch.manual_seed(0)
    if a.threads: torch.set_num_threads(a.threads)
    if side == "ours":
        x, _ = load_split("mnist", "train", root=a.root)              # read once; not part of an epoch
        return {"side": side, "make": lambda r: Batches(x, batch_size=a.batch_size, seed=r, binarization="dynamic"), "r": 0}
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms
    root = search_dirs("mnist", a.root)[0].parent.parent
    ds = datasets.MNIST(str(root), train=True, download=False, transform=transforms.ToTensor())
    return {"side": side, "dl": DataLoader(ds, batch_size=a.batch_size, shuffle=True, num_workers=0)}


OURS_REPS = 10


def run_round(s: dict) -> float:
    import torch
    t = time.perf_counter()
    if s["side"] == "ours":                  # REPS epochs per round, so that a round lasts about as long as the other
        for _ in range(OURS_REPS):           # side's: a short round is at the mercy of the scheduler's noise
            n = sum(b.shape[0] for b in s["make"](s["r"])); s["r"] += 1
            assert n == 60_000, n
        return (time.perf_counter() - t) / OURS_REPS
    n = sum(torch.bernoulli(b).shape[0] for b, _ in s["dl"])
    assert n == 60_000, n
    return time.perf_counter() - t


def finish(s: dict) -> dict:
    return {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=None, help="data root (default: $VAE_COURSE_DATA or the user cache)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=7, help="timed rounds per side, interleaved (default 7)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads per side (default 1: on a shared machine, idle-spinning thread pools "
                         "of a busy process distort timings; 0: torch's default)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker: return main_worker(a.worker, setup, run_round, finish, a)
    import torch
    print(f"torch {torch.__version__}, {a.threads or torch.get_num_threads()} thread(s) per side; {machine_load()}")
    extra = ["--batch-size", str(a.batch_size), "--threads", str(a.threads)] + (["--root", a.root] if a.root else [])
    ws = [Worker(__file__, side, extra) for side in ("dataloader", "ours")]
    times = interleaved(ws, a.rounds)
    for w in ws: w.finish()
    for side, v in times.items(): print(f"{side:10s} s/epoch: {' '.join(f'{t:.3f}' for t in v)}")
    r = paired_ratio(times["dataloader"], times["ours"])
    print(f"ours vs DataLoader: {fmt_ratio(r)}; {machine_load()}")
    print(f"data_speedup={r['median']:.1f}")


if __name__ == "__main__":
    main()
