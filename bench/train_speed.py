#!/usr/bin/env python
"""Training speed: `vae_course.train.Trainer` vs the textbook PyTorch VAE loop, same model.

Model: 784-400-20 MLP VAE, sigmoid/BCE on grey-level MNIST, Adam 1e-3, batch 128, 10 epochs each.
Textbook loop: torchvision MNIST with ToTensor() through a DataLoader (num_workers=0), two linear
heads for mu and logvar, sigmoid + binary_cross_entropy, as in the PyTorch examples repository.
Each side runs in its own child process so that its peak RSS is its own.

Prints per-epoch times, one-sample test losses (per image, summed over pixels, as the textbook loop
computes them), peak RSS, achieved FLOP rate against the ~2.3e11 FLOP-per-epoch floor, and last
`train_speedup=<textbook median epoch / ours median epoch>` (target >= 3.5).
"""
import argparse, json, os, resource, statistics, subprocess, sys, time

EPOCH_FLOP = 2.3e11  # forward + backward matrix products of 784-400-20-400-784 over 60,000 images


def textbook(epochs: int, root: str) -> dict:
    import torch, torch.nn as nn, torch.nn.functional as F
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms
    torch.manual_seed(1)
    kw = dict(batch_size=128, shuffle=True, num_workers=0)
    train_loader = DataLoader(datasets.MNIST(root, train=True, download=False, transform=transforms.ToTensor()), **kw)
    test_loader = DataLoader(datasets.MNIST(root, train=False, download=False, transform=transforms.ToTensor()),
                             batch_size=128, shuffle=False)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)
        def encode(self, x): h1 = F.relu(self.fc1(x)); return self.fc21(h1), self.fc22(h1)
        def reparameterize(self, mu, logvar): std = torch.exp(0.5 * logvar); return mu + torch.randn_like(std) * std
        def decode(self, z): return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))
        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 784)); return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
        return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    model = VAE(); optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for _ in range(epochs):
        t = time.perf_counter(); model.train()
        for data, _ in train_loader:
            optimizer.zero_grad(); recon, mu, logvar = model(data)
            loss = loss_function(recon, data, mu, logvar); loss.backward(); optimizer.step()
        times.append(time.perf_counter() - t)
    model.eval(); test_loss = 0.0
    with torch.no_grad():
        for data, _ in test_loader:
            recon, mu, logvar = model(data); test_loss += loss_function(recon, data, mu, logvar).item()
    return {"times": times, "test_loss": test_loss / len(test_loader.dataset)}


def ours(epochs: int, root: str, precision: str) -> dict:
    import torch
    from vae_course.data import load_split
    from vae_course.models import evaluate
    from vae_course.train import TrainConfig, Trainer, eval_batches
    cfg = TrainConfig(arch="mlp", likelihood="bernoulli", binarization="none", epochs=epochs, validation=False,
                      precision=precision, seed=1, data_root=root)
    t = Trainer(cfg, progress=False)
    t.fit()
    xte, _ = load_split("mnist", "test", root=root)
    res = evaluate(t.model, eval_batches(xte, cfg))
    return {"times": [r["seconds"] for r in t.history], "test_loss": -res["elbo"]}


def gemm_gflops() -> float:
    "This machine's float32 matrix-product rate on the model's largest layer shape (batch 128)."
    import torch
    a, w = torch.randn(128, 784), torch.randn(784, 400)
    for _ in range(50): a @ w
    t = time.perf_counter()
    for _ in range(500): a @ w
    return 2 * 128 * 784 * 400 * 500 / (time.perf_counter() - t) / 1e9


def child(which: str, epochs: int, root: str) -> None:
    res = textbook(epochs, root) if which == "textbook" else ours(epochs, root, which.split(":")[1])
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if which == "textbook": res["gemm_gflops"] = gemm_gflops()
    print("RESULT " + json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--root", default=None, help="data root (default: $VAE_COURSE_DATA, then the user cache)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    from vae_course.data import search_dirs
    root = str(search_dirs("mnist", a.root)[0].parent.parent)
    if a.child: return child(a.child, a.epochs, root)
    import torch
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; {a.epochs} epochs each")
    res = {}
    for which in ("textbook", "ours:fp32", "ours:bf16"):
        out = subprocess.run([sys.executable, __file__, "--child", which, "--epochs", str(a.epochs), "--root", root],
                             capture_output=True, text=True)
        line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
        if out.returncode or line is None: sys.exit(f"{which} failed:\n{out.stdout}\n{out.stderr}")
        res[which] = r = json.loads(line[7:])
        med = statistics.median(r["times"])
        print(f"{which:10s} epochs (s): {' '.join(f'{t:.2f}' for t in r['times'])}  median {med:.2f}  "
              f"test loss {r['test_loss']:.2f}  peak RSS {r['peak_rss_mb']:.0f} MB  "
              f"{EPOCH_FLOP / med / 1e9:.0f} GFLOP/s")
    tb = statistics.median(res["textbook"]["times"])
    gemm = res["textbook"]["gemm_gflops"]
    floor = EPOCH_FLOP / (gemm * 1e9)
    print(f"float32 matrix products on this machine: {gemm:.0f} GFLOP/s, so the 2.3e11 FLOP floor is "
          f"{floor:.2f} s per epoch in fp32")
    for which in ("ours:fp32", "ours:bf16"):
        r = res[which]; med = statistics.median(r["times"])
        print(f"{which}: {tb / med:.2f}x faster per epoch, {med / floor:.2f}x the fp32 floor, "
              f"test loss {r['test_loss'] - res['textbook']['test_loss']:+.2f} vs textbook")
    ok = [w for w in ("ours:bf16", "ours:fp32") if res[w]["test_loss"] <= res["textbook"]["test_loss"] + 0.5]
    best = min(ok or ["ours:fp32"], key=lambda w: statistics.median(res[w]["times"]))
    print(f"headline: {best} (fastest configuration whose test loss is within 0.5 nats of the textbook's or better)")
    print(f"train_speedup={tb / statistics.median(res[best]['times']):.2f}")


if __name__ == "__main__":
    main()
