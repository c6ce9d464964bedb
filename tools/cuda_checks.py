#!/usr/bin/env python
"""`--device cuda` end to end, for a session that has a GPU: `python tools/cuda_checks.py` (about 1 minute on 2 CPU cores with --quick; not yet timed on a GPU).

Nothing here runs in CI (the CI machines have no GPU); `python tools/cuda_checks.py --device cpu --quick` is the
dry run that keeps the script itself working. Each check prints `OK` or `FAIL` with its figures; the last line is
`cuda_checks: N failed`. What it checks, on the device:
1. fast_bf16 and the precision 'auto' resolves to (bf16 at compute capability >= 8).
2. Host synchronisations per optimiser step (torch.cuda.set_sync_debug_mode): with the default dynamic binarization
   and an EMA of the weights, one per step is expected (the finiteness check of the loss), and none with that check
   stubbed out: neither the binarization draw nor the EMA update nor anything else may add one.
3. A compiled run, checkpointed after one epoch and resumed in a new trainer, ends with weights identical to a run
   of two epochs straight (the resume restores the GPU's generator; Inductor is deterministic on CUDA).
4. The command line: `vae-course train --device cuda` and `vae-course eval --device cuda`.
5. log_likelihood, compiled (float32, its default), against the plain path on the same draws (allowed: every image
   1e-3 nats), and with precision='bf16' (allowed: mean 0.02 nats): its docstring's promises.
6. The calls that used to mix devices: VAE.sample with a CPU generator, table_row with CPU images, latent_stats,
   slant, class_means and kl_decomposition(n_codes=...) with device tensors.
7. Speed: seconds per 60,000-image epoch of the 784-400-20 VAE (batch 128) and of IWAE k = 50 (batch 20), each also
   with the trainer's per-step finiteness check of the loss stubbed out (its host synchronisation: is it worth
   removing?), and the k = 5000 log-likelihood of 1,000 test images scaled to 10,000 (bench/README.md records them).
8. log_likelihood's batch and chunk sizes (tuned for CPU caches) against larger ones: seconds per 10,000 images
   and, on a GPU, peak GPU memory: the data for choosing GPU defaults.

On a lent device machine (/work/.library/device): it has its own python3 with PyTorch (2.11 when last read) and no
ipywidgets (train and eval do not need it), and a call sends the working tree only, at most 64 MiB of it, of which
the repository takes about 59. So the data travels as a small data root: `python tools/cuda_checks.py --pack .devdata`
here (the first 12,000 training images, which a run with validation splits into 2,000 and 10,000, and the first
2,000 test images, gzipped: 2.1 MiB; it prints the size that would travel), then one device call with carry
[".devdata"], timeout_s about 480 (a dry run without --quick took 6 minutes on 2 CPU cores, before the with/without timings) and the command
    export VAE_COURSE_DATA=$PWD/.devdata PYTHONUNBUFFERED=1; python3 tools/cuda_checks.py 2>&1 | tee $OUT/cuda_checks.log
Seconds per epoch are scaled to 60,000 images from the images a run has. The same dry run here, as the device would
run it: `VAE_COURSE_DATA=$PWD/.devdata python tools/cuda_checks.py --device cpu --quick`.
"""
import argparse, contextlib, gzip, os, statistics, subprocess, sys, tempfile, time, traceback, warnings
from collections import Counter
from unittest import mock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import torch  # noqa: E402

FAILED = []


def check(name, fn):
    "Run one check: it returns a line of figures, or raises (FAIL)."
    t0 = time.perf_counter()
    try: print(f"OK   {name}: {fn()} ({time.perf_counter() - t0:.1f} s)", flush=True)
    except Exception as e:
        FAILED.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {str(e).splitlines()[0][:300]}", flush=True)
        traceback.print_exc()


def no_finite_check(off: bool = True):
    "Within it (if `off`), the trainer's per-step `torch.isfinite(loss)` is a CPU True: no host synchronisation."
    if not off: return contextlib.nullcontext()
    return mock.patch.object(torch, "isfinite", lambda x: torch.ones((), dtype=torch.bool))


def tree_bytes() -> int:
    "Bytes of the working tree a device call sends: tracked files and untracked files git does not ignore."
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, check=True).stdout
    return sum((ROOT / f).stat().st_size for f in out.decode().split("\0") if f and (ROOT / f).is_file())


def pack(out: Path, n_train: int = 12_000, n_test: int = 2_000) -> None:
    "Write a small MNIST data root to `out` for a device machine (gzipped IDX files), check it reads back, print sizes."
    from vae_course.data import load_split
    from vae_course.io import IDX_FILES, IMAGES_MAGIC, LABELS_MAGIC, read_idx_pair
    raw = out / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for part, n in (("train", n_train), ("test", n_test)):
        x, y = load_split("mnist", part)
        x, y = x[:n], y[:n].to(torch.uint8)
        for name, t, magic in zip(IDX_FILES[part], (x, y), (IMAGES_MAGIC, LABELS_MAGIC)):
            header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in t.shape)
            with gzip.open(raw / f"{name}.gz", "wb", compresslevel=9) as f: f.write(header + t.numpy().tobytes())
        xr, yr = read_idx_pair(*(raw / f"{name}.gz" for name in IDX_FILES[part]))
        assert torch.equal(xr, x) and torch.equal(yr, y.long()), f"{part}: the packed files do not read back"
    packed = sum(f.stat().st_size for f in raw.iterdir())
    ignored = subprocess.run(["git", "check-ignore", "-q", str(out)], cwd=ROOT).returncode == 0
    tree = tree_bytes() + (0 if ignored else -packed)           # untracked and not ignored: already counted in the tree
    total = tree + packed
    print(f"packed {n_train:,} training and {n_test:,} test images into {raw}: {packed / 2**20:.2f} MiB; with the "
          f"working tree ({tree / 2**20:.1f} MiB) a device call would send {total / 2**20:.1f} MiB of at most 64"
          + ("" if ignored else f"; {out} is not ignored by git, so carry cannot name it: add it to .gitignore"))
    if total > 64 * 2**20: sys.exit("too large for a device call: pack fewer images, or leave untracked files out")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="small sizes (a dry run of the script, e.g. on a CPU)")
    ap.add_argument("--pack", metavar="DIR", type=Path,
                    help="write a small MNIST data root to DIR for a device machine and exit (see above)")
    a = ap.parse_args()
    if a.pack: return pack(a.pack)
    import vae_course.iwae as iw
    import vae_course.train as tr
    from vae_course.data import load_split, to_float
    from vae_course.disentangle import kl_decomposition
    from vae_course.explore import class_means, latent_stats, slant
    dev, cuda = torch.device(a.device), a.device.startswith("cuda")
    n_train = 2000 if a.quick else 60_000
    print(f"torch {torch.__version__}; device {dev}"
          + (f" ({torch.cuda.get_device_name(dev)}, compute capability {torch.cuda.get_device_capability(dev)})" if cuda else ""))
    xte, _ = load_split("mnist", "test")

    check("precision", lambda: f"fast_bf16={tr.fast_bf16(dev)}, 'auto' -> {tr.resolve_precision('auto', dev)}")

    def syncs():
        cfg = tr.TrainConfig(validation=False, compile="off", epochs=2, device=a.device, train_size=128 * 20, ema=0.99)
        t = tr.Trainer(cfg, progress=False)
        t.train_epoch()                                                    # warm-up
        if not cuda: return "no CUDA: nothing to count"
        steps, found = len(t.train_batches), []
        for off, most in ((False, steps + 2), (True, 2)):              # the check on: one a step; off: none a step
            torch.cuda.synchronize(); torch.cuda.set_sync_debug_mode("warn")
            with no_finite_check(off), warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always"); t.train_epoch()
            torch.cuda.set_sync_debug_mode("default")
            where = Counter(f"{Path(x.filename).name}:{x.lineno}" for x in w if "synchroniz" in str(x.message))
            found.append(f"{sum(where.values())} synchronisations in {steps} steps with the finiteness check "
                         f"{'off' if off else 'on'}: {dict(where)}")
            assert sum(where.values()) <= most, found[-1]
        return "; ".join(found)
    check("host synchronisations per step", syncs)

    def resume_exact():
        kw = dict(compile="on", epochs=2, device=a.device, train_size=4000 if a.quick else 12_000, ema=0.99)
        with tempfile.TemporaryDirectory() as d1, tempfile.TemporaryDirectory() as d2:
            straight = tr.Trainer(tr.TrainConfig(**kw), out_dir=d1, progress=False); straight.fit()
            first = tr.Trainer(tr.TrainConfig(**kw), out_dir=d2, progress=False); first.fit(1)
            torch.manual_seed(12345)
            if cuda: torch.cuda.manual_seed(12345)                         # a new process's state, scrambled
            resumed = tr.Trainer.load(Path(d2) / "checkpoint.pt", progress=False); resumed.fit()
            diff = max((p - q).abs().max().item() for p, q in zip(straight.model.parameters(), resumed.model.parameters()))
            assert diff == 0, f"resumed weights differ from the straight run's by up to {diff:.3g}"
            return f"weights identical after resume; precision {straight.precision}, compiled {straight.compiled}"
    check("compiled run resumed exactly", resume_exact)

    def cli():
        with tempfile.TemporaryDirectory() as d:
            env = os.environ | {"PYTHONPATH": str(ROOT)}
            cmd = [sys.executable, "-c", "import sys; from vae_course.cli import main; sys.exit(main(sys.argv[1:]))"]
            run = lambda *args: subprocess.run([*cmd, *args], env=env,
                                               capture_output=True, text=True, timeout=600)
            r = run("train", "--device", a.device, "--epochs", "2", "--train-size", str(min(n_train, 10_000)), "--out", f"{d}/run", "--quiet")
            assert r.returncode == 0, r.stderr[-500:]
            e = run("eval", f"{d}/run/checkpoint.pt", "--device", a.device)
            assert e.returncode == 0, e.stderr[-500:]
            return (r.stdout.strip().splitlines() or [""])[-1][:120]
    check("vae-course train/eval on the device", cli)

    def ll():
        t = tr.Trainer(iw.burda_config("vae_k1", device=a.device, epochs=1, train_size=6000, compile="off"), progress=False); t.fit()
        x = iw.burda_test_images()[:200].to(dev)
        fast = iw.log_likelihood(t.eval_model, x, k=500, seed=1, compile=True, progress=False)
        plain = iw.log_likelihood(t.eval_model, x, k=500, seed=1, compile=False, precision="fp32", progress=False)
        bf16 = iw.log_likelihood(t.eval_model, x, k=500, seed=1, compile=True, precision="bf16", progress=False)
        d, d16 = fast.log_px - plain.log_px, bf16.log_px - plain.log_px
        assert d.abs().max() <= 1e-3, f"compiled float32: largest image {d.abs().max():.4f}"
        assert d16.mean().abs() <= 0.02, f"bf16: mean {d16.mean():+.4f}"
        return (f"compiled float32: largest image {d.abs().max():.4f} nats; bf16: mean NLL {-d16.mean():+.4f}, "
                f"largest image {d16.abs().max():.3f}")
    check("log_likelihood fast vs plain", ll)

    def devices():
        m = tr.build_model("mlp").to(dev)
        s = m.sample(4, 1.0, torch.Generator().manual_seed(0))             # a CPU generator
        t = tr.Trainer(iw.burda_config("vae_k1", device=a.device, epochs=1, train_size=500, compile="off"), progress=False)
        row = iw.table_row("vae_k1", t, iw.burda_test_images()[:100], k=20, compile=False, progress=False)   # CPU images
        st = latent_stats(m, to_float(xte[:300]))    # CPU images, device model
        img = xte[:50].float().to(dev)
        sl = slant(img)
        cm = class_means(torch.randn(20, 3, device=dev), torch.arange(20, device=dev) % 10)
        mu = torch.randn(200, 4, device=dev)
        kl = kl_decomposition(mu, torch.zeros_like(mu), n_codes=50, generator=torch.Generator(dev).manual_seed(0))
        return (f"sample {tuple(s.shape)} on {s.device}; table_row NLL {row['nll']:.1f}; latent_stats K={len(st.kl)}; "
                f"slant on {sl.device}; class_means on {cm.device}; kl_decomposition TC {kl['tc']:.3f}")
    check("calls that mixed devices", devices)

    def speed():
        out = []
        for label, cfg in [("784-400-20 VAE, batch 128", tr.TrainConfig(validation=False, compile="on", epochs=2, device=a.device, train_size=n_train)),
                           ("IWAE k=50, batch 20", iw.burda_config("iwae_k50", device=a.device, epochs=2, train_size=min(n_train, 10_000), compile="on"))]:
            t = tr.Trainer(cfg, progress=False); t.fit(1)
            n = len(t.train_batches.images)                                 # fewer than asked where the data root is packed
            times = {False: [], True: []}                                   # key: the finiteness check stubbed out?
            for _ in range(3):                                              # interleaved: A B A B A B
                for off in (False, True):
                    with no_finite_check(off):
                        if cuda: torch.cuda.synchronize()
                        t0 = time.perf_counter(); t.train_epoch()            # the training pass only, no validation
                        if cuda: torch.cuda.synchronize()
                        times[off].append((time.perf_counter() - t0) * 60_000 / n)
            on, off = statistics.median(times[False]), statistics.median(times[True])
            ratio = statistics.median(a / b for a, b in zip(times[False], times[True]))     # of the paired rounds
            out.append(f"{label}: {on:.1f} s per 60,000-image epoch ({n:,} images timed, {t.precision}; median of 3), "
                       f"{off:.1f} s without the per-step finiteness check of the loss ({ratio:.2f}x, median of paired rounds)")
        t = tr.Trainer(iw.burda_config("vae_k1", device=a.device, epochs=1, train_size=2000, compile="off"), progress=False); t.fit()
        n = 100 if a.quick else 1000
        x = iw.burda_test_images()[:n].to(dev)
        iw.log_likelihood(t.eval_model, x[:100], k=5000, compile=True, progress=False)   # warm-up: fills Inductor's cache
        ll = iw.log_likelihood(t.eval_model, x, k=5000, compile=True, progress=False)      # (each call compiles afresh)
        out.append(f"k=5000 log-likelihood: {ll.seconds * 10_000 / n:.0f} s per 10,000 images")
        return "; ".join(out)
    check("speed", speed)

    def chunking():
        "log_likelihood's batch_size and chunk_size were chosen for CPU caches: how do larger ones do on this GPU?"
        t = tr.Trainer(iw.burda_config("vae_k1", device=a.device, epochs=1, train_size=2000, compile="off"), progress=False); t.fit()
        n = 100 if a.quick else 500
        x = iw.burda_test_images()[:n].to(dev)
        out = []
        for b, c in [(100, 50), (100, 500), (500, 500), (500, 1000)]:
            kw = dict(k=5000, batch_size=b, chunk_size=c, compile=True, progress=False)
            iw.log_likelihood(t.eval_model, x[:b], **kw)                                   # warm-up
            if cuda: torch.cuda.reset_peak_memory_stats(dev)
            ll = iw.log_likelihood(t.eval_model, x, **kw)
            out.append(f"batch {b}, chunk {c}: {ll.seconds * 10_000 / n:.0f} s per 10,000 images"
                       + (f", peak {torch.cuda.max_memory_allocated(dev) / 2**30:.1f} GiB" if cuda else ""))
        return "; ".join(out)
    check("log_likelihood chunk sizes", chunking)
    print(f"cuda_checks: {len(FAILED)} failed" + (f" ({', '.join(FAILED)})" if FAILED else ""))


if __name__ == "__main__":
    main()
