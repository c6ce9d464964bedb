#!/usr/bin/env python
"""Training speed: `vae_course.train.Trainer` vs the textbook PyTorch VAE loop, same model.

Model: 784-400-20 MLP VAE, sigmoid/BCE on grey-level MNIST, Adam 1e-3, batch 128.
Textbook loop: torchvision MNIST with ToTensor() through a DataLoader (num_workers=0), two linear
heads for mu and logvar, sigmoid + binary_cross_entropy, as in the PyTorch examples repository.

Sides: the textbook loop; ours:PRECISION:COMPILE, the trainer with TrainConfig(precision=..., compile=...).
By default, on a CPU with fast bf16 (AVX512-BF16 or AMX): ours:fp32:off (float32, eager), ours:bf16:off
(bf16 matrix products, eager) and ours:bf16:on (bf16, the loss compiled: the trainer's default for a run
this long there); on any other CPU, where bf16 products are emulated and slow: ours:fp32:off and
ours:fp32:on (the trainer's default there).

Threads: one torch thread per side by default, for every side alike. On these 2 shared cores that is
the setting whose ratio survives load. With two threads per side and one other busy process on the
machine (notebook tests, themselves on two threads), our compiled float32 epoch took 84-98 s (2.0-3.8 s
quiet) and the textbook loop's over 130 s (10-14 s quiet), against 4.2-4.5 s and 14.4-15.1 s with one
thread under the same load (2026-12-07, bench/README.md): every parallel region waits for a thread the
scheduler has put off its core. `--threads 0` gives each side torch's default (all cores), what a user
gets on a quiet machine.
Each side lives in its own worker process of the same layout and
trains one epoch per round, the sides taking turns (A B C A B C ..., bench/interleave.py), so that a
change of the machine's load lands on every side alike. A speed-up is the median of the per-round
ratios, printed with its spread and the machine's load. After the last round each side reports its
one-sample test loss (per image, summed over pixels, as the textbook loop computes it) and peak RSS.
The FLOP floor is the 1.97e11 FLOP of an epoch's matrix products (forward and backward, no gradient
for the input images) at this machine's float32 GEMM rate,
measured in each worker with the same thread count. Last line: `train_speedup=<median ratio>` of the
fastest configuration whose test loss is within 0.5 nats of the textbook's (target >= 4).
"""
import argparse, os, statistics, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import Worker, fmt_ratio, interleaved, machine_load, main_worker, paired_ratio  # noqa: E402

LAYERS = [(784, 400), (400, 40), (20, 400), (400, 784)]   # encoder, its two heads (mu, logvar), decoder
# forward + backward matrix products over 60,000 images: 3 products of each layer's size (forward, weight
# gradient, input gradient), less the input gradient of the first layer, which nothing needs
EPOCH_FLOP = 60_000 * (3 * 2 * sum(i * o for i, o in LAYERS) - 2 * 784 * 400)   # 1.97e11


def gemm_gflops() -> float:
    "This process's float32 matrix-product rate on the model's largest layer shape (batch 128)."
    import torch
    a, w = torch.randn(128, 784), torch.randn(784, 400)
    for _ in range(50): a @ w
    t = time.perf_counter()
    for _ in range(500): a @ w
    return 2 * 128 * 784 * 400 * 500 / (time.perf_counter() - t) / 1e9


def setup_textbook(a) -> dict:
    import torch, torch.nn as nn, torch.nn.functional as F
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms
    torch.manual_seed(1)
    kw = dict(batch_size=128, shuffle=True, num_workers=0)
    train_loader = DataLoader(datasets.MNIST(a.root, train=True, download=False, transform=transforms.ToTensor()), **kw)
    test_loader = DataLoader(datasets.MNIST(a.root, train=False, download=False, transform=transforms.ToTensor()),
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

    model = VAE()
    return dict(model=model, opt=torch.optim.Adam(model.parameters(), lr=1e-3), train=train_loader,
                test=test_loader, loss=loss_function)


def setup(side: str, a) -> dict:
    import torch
    if a.threads: torch.set_num_threads(a.threads)
    s = {"side": side, "gemm": [gemm_gflops()]}
    if side == "textbook": s.update(setup_textbook(a)); return s
    from vae_course.train import TrainConfig, Trainer
    _, precision, compile = side.split(":")                      # e.g. ours:bf16:on
    cfg = TrainConfig(arch="mlp", likelihood="bernoulli", binarization="none", epochs=a.rounds + 1, validation=False,
                      precision=precision, compile=compile, seed=1, data_root=a.root)
    s.update(cfg=cfg, trainer=Trainer(cfg, progress=False))
    return s


def run_round(s: dict) -> float:
    t0 = time.perf_counter()
    if s["side"] == "textbook":
        model, opt, loss_function = s["model"], s["opt"], s["loss"]
        model.train()
        for data, _ in s["train"]:
            opt.zero_grad(); recon, mu, logvar = model(data)
            loss = loss_function(recon, data, mu, logvar); loss.backward(); opt.step()
    else:
        t = s["trainer"]; t.fit(t.epoch + 1)
    return time.perf_counter() - t0


def finish(s: dict) -> dict:
    import torch
    s["gemm"].append(gemm_gflops())
    if s["side"] == "textbook":
        model, loss_function = s["model"], s["loss"]
        model.eval(); total = 0.0
        with torch.no_grad():
            for data, _ in s["test"]:
                recon, mu, logvar = model(data); total += loss_function(recon, data, mu, logvar).item()
        test_loss = total / len(s["test"].dataset)
    else:
        from vae_course.data import load_split
        from vae_course.models import evaluate
        from vae_course.train import eval_batches
        xte, _ = load_split("mnist", "test", root=s["cfg"].data_root)
        test_loss = -evaluate(s["trainer"].model, eval_batches(xte, s["cfg"]))["elbo"]
    return {"test_loss": test_loss, "gemm_gflops": statistics.median(s["gemm"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=8, help="timed epochs per side, interleaved (default 8; one more untimed)")
    ap.add_argument("--root", default=None, help="data root (default: $VAE_COURSE_DATA, then the user cache)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads per side (default 1: on a shared machine, idle-spinning thread pools "
                         "of a busy process distort timings; 0: torch's default)")
    ap.add_argument("--sides", default=None, help=argparse.SUPPRESS)   # default: see the docstring
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.root is None:
        from vae_course.data import search_dirs
        a.root = str(search_dirs("mnist")[0].parent.parent)
    if a.worker: return main_worker(a.worker, setup, run_round, finish, a)
    import torch
    from vae_course.train import fast_bf16
    if a.sides is None:
        a.sides = ("textbook,ours:fp32:off,ours:bf16:off,ours:bf16:on" if fast_bf16()
                   else "textbook,ours:fp32:off,ours:fp32:on")
    sides = a.sides.split(",")
    print(f"torch {torch.__version__}, {a.threads or torch.get_num_threads()} thread(s) per side, {os.cpu_count()} CPUs; "
          f"{a.rounds} timed epochs per side after 1 untimed, interleaved; {machine_load()}")
    extra = ["--rounds", str(a.rounds), "--root", a.root, "--threads", str(a.threads)]
    ws = [Worker(__file__, side, extra) for side in sides]
    times = interleaved(ws, a.rounds)
    res = {w.side: w.finish() for w in ws}
    gemm = statistics.median(r["gemm_gflops"] for r in res.values())
    floor = EPOCH_FLOP / (gemm * 1e9)
    for side in sides:
        med = statistics.median(times[side])
        print(f"{side:10s} median {med:.2f} s/epoch  test loss {res[side]['test_loss']:.3f}  "
              f"peak RSS {res[side]['peak_rss_mb']:.0f} MB  {EPOCH_FLOP / med / 1e9:.0f} GFLOP/s = {floor / med:.0%} of the fp32 floor")
    print(f"float32 matrix products: {gemm:.0f} GFLOP/s per side (median of the workers' measurements), so the "
          f"{EPOCH_FLOP:.3g} FLOP floor is {floor:.2f} s per epoch")
    ratios = {}
    for side in sides[1:]:
        ratios[side] = r = paired_ratio(times["textbook"], times[side])
        print(f"{side}: {fmt_ratio(r)} faster per epoch than the textbook loop; test loss "
              f"{res[side]['test_loss'] - res['textbook']['test_loss']:+.2f} vs textbook")
    ok = [s for s in sides[1:] if res[s]["test_loss"] <= res["textbook"]["test_loss"] + 0.5]
    best = max(ok or sides[1:2], key=lambda s: ratios[s]["median"])
    print(f"headline: {best} (fastest configuration whose test loss is within 0.5 nats of the textbook's or better); "
          f"{machine_load()}")
    print(f"train_speedup={ratios[best]['median']:.2f}")


if __name__ == "__main__":
    main()
