#!/usr/bin/env python
"""One epoch of 128-image batches with dynamic binarization: `vae_course.data.Batches` vs the textbook
`DataLoader(torchvision.datasets.MNIST(transform=ToTensor()), num_workers=0)` + `torch.bernoulli`.

Prints each epoch time and, last, `data_speedup=<ratio>` (target >= 10).
Data root: --root, else $VAE_COURSE_DATA, else the per-user cache (see nbs/00_data.ipynb).
"""
import argparse, time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from vae_course.data import Batches, load_split, search_dirs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=None, help="data root (default: $VAE_COURSE_DATA or the user cache)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3, help="epochs of ours timed; the best counts")
    a = ap.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    x, _ = load_split("mnist", "train", root=a.root)  # read once; not part of an epoch
    ours = []
    for r in range(a.repeats):
        t = time.perf_counter()
        n = sum(b.shape[0] for b in Batches(x, batch_size=a.batch_size, seed=r, binarization="dynamic"))
        ours.append(time.perf_counter() - t)
    assert n == 60_000
    print(f"ours:       {min(ours):.3f} s/epoch (best of {a.repeats}: {', '.join(f'{t:.3f}' for t in ours)})")

    root = search_dirs("mnist", a.root)[0].parent.parent
    ds = datasets.MNIST(str(root), train=True, download=False, transform=transforms.ToTensor())
    dl = DataLoader(ds, batch_size=a.batch_size, shuffle=True, num_workers=0)
    t = time.perf_counter()
    n = sum(torch.bernoulli(b).shape[0] for b, _ in dl)
    theirs = time.perf_counter() - t
    assert n == 60_000
    print(f"DataLoader: {theirs:.3f} s/epoch (torchvision MNIST + ToTensor, num_workers=0, torch.bernoulli)")
    print(f"data_speedup={theirs / min(ours):.1f}")


if __name__ == "__main__":
    main()
