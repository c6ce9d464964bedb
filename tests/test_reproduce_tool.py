"""tools/reproduce_iwae.py on a tiny budget: the curve of a run split into stretches is the curve of
one run (a point at every stage end, at that stage's learning rate, none elsewhere), a partial
schedule is not scored unless asked, and a scored run's result is at its last stage end."""
import json
import os
import sys
from pathlib import Path

import pytest
from helpers import needs_data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


pytestmark = needs_data
TINY = ["--rows", "vae_k1", "--train-size", "200", "--batch-size", "50", "--curve-images", "8", "--k", "16",
        "--n-test", "24", "--threads", "1"]


def test_curve_across_stretches_and_scoring(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_COURSE_QUIET", "1")
    import reproduce_iwae
    from vae_course.io import read_csv
    from vae_course.iwae import burda_config, burda_runs, burda_schedule, fit_schedule
    run = tmp_path / "06_vae_k1_b50"
    # A first stretch that stopped mid-stage: epoch 2 of the schedule, whose first stage ends at epoch 1.
    fit_schedule(burda_config("vae_k1", device="cpu", epochs=2, train_size=200, batch_size=50), run, [(2, 1e-3)])
    assert reproduce_iwae.main(TINY + ["--out", str(tmp_path), "--stages", "3"]) == 0
    ends = dict(burda_schedule(3))
    curve = read_csv(run / "curve.csv")
    assert [p["epoch"] for p in curve] == [4, 13]          # not epoch 2: stage 1 had ended before this stretch
    for p in curve:
        assert p["lr"] == pytest.approx(ends[p["epoch"]], rel=1e-12)
        assert (p["batch_size"], p["k"], p["n_images"]) == (50, 16, 8)
    assert not (run / "result.json").exists()              # 3 of 8 stages: not scored without --score
    # The next stretch continues the same curve, and --score scores it at its last stage end.
    assert reproduce_iwae.main(TINY + ["--out", str(tmp_path), "--stages", "4", "--score"]) == 0
    assert [p["epoch"] for p in read_csv(run / "curve.csv")] == [4, 13, 40]
    result = json.loads((run / "result.json").read_text())
    assert (result["epochs"], result["n_images"], result["batch_size"]) == (40, 24, 50)
    assert json.loads((tmp_path / "06_full" / "results.json").read_text()) == [result]
    stretches = read_csv(run / "stretches.csv")             # the tool's two stretches (not the first, run without it)
    assert [(s["first_epoch"], s["last_epoch"]) for s in stretches] == [(3, 13), (14, 40)]
    assert all(s["precision"] in ("fp32", "bf16") and s["threads"] == 1 and s["device"] == "cpu" for s in stretches)
    runs = burda_runs(tmp_path)
    assert list(runs) == ["06_vae_k1_b50"] and runs["06_vae_k1_b50"]["batch_size"] == 50
    assert runs["06_vae_k1_b50"]["result"] == result


def test_two_layer_row(tmp_path, monkeypatch):
    "A two-layer row (06b's 'burda2') goes through the same tool: trained, curve, scored, tabled beside the paper."
    monkeypatch.setenv("VAE_COURSE_QUIET", "1")
    import reproduce_iwae
    from vae_course.beyond_iwae import BURDA_TABLE1_TWO_LAYER, TwoLayerVAE
    from vae_course.iwae import BURDA_TABLE1, burda_runs
    from vae_course.train import load_model
    args = [a if a != "vae_k1" else "vae2_k1" for a in TINY]
    assert reproduce_iwae.main(args + ["--out", str(tmp_path), "--stages", "2", "--score"]) == 0
    run = tmp_path / "06_vae2_k1_b50"
    model, state = load_model(run / "checkpoint.pt")
    assert isinstance(model, TwoLayerVAE) and state["config"]["arch"] == "burda2"
    result = json.loads((run / "result.json").read_text())
    assert result["epochs"] == 4 and 0 <= result["active_units"] <= 150 and len(result["au_var"]) == 150
    assert result["elbo"] < -result["nll"]                       # the ELBO is below the k-sample estimate of log p(x)
    table = (tmp_path / "06_full" / "table.md").read_text()
    assert BURDA_TABLE1_TWO_LAYER["vae2_k1"]["label"] in table and "/ —" in table
    assert list(burda_runs(tmp_path, {**BURDA_TABLE1, **BURDA_TABLE1_TWO_LAYER})) == ["06_vae2_k1_b50"]
    assert burda_runs(tmp_path) == {}                            # the one-layer table alone does not claim it


def test_vae_with_k_rows(tmp_path, monkeypatch):
    "The VAE trained with k samples (Table 1's third kind of row) goes through the tool for both halves: its objective and k."
    monkeypatch.setenv("VAE_COURSE_QUIET", "1")
    import reproduce_iwae
    from vae_course.beyond_iwae import BURDA_TABLE1_TWO_LAYER_VAE_K
    from vae_course.iwae import BURDA_TABLE1_VAE_K
    from vae_course.train import load_model
    args = ["--rows", "vae_k5", "vae2_k5"] + TINY[2:]
    assert reproduce_iwae.main(args + ["--out", str(tmp_path), "--stages", "1", "--score"]) == 0
    for row, objective in (("vae_k5", "elbo"), ("vae2_k5", "elbo_mc")):
        _, state = load_model(tmp_path / f"06_{row}_b50" / "checkpoint.pt")
        assert (state["config"]["objective"], state["config"]["n_samples"]) == (objective, 5)
    table = (tmp_path / "06_full" / "table.md").read_text()
    assert BURDA_TABLE1_VAE_K["vae_k5"]["label"] in table and BURDA_TABLE1_TWO_LAYER_VAE_K["vae2_k5"]["label"] in table


def test_resumed_at_a_stage_end_records_that_stages_rate(tmp_path, monkeypatch):
    """A run stopped right after a stage's last epoch, before its curve point was taken, records that point at
    the stage's rate: the trainer keeps the checkpoint's rate instead of the configuration's default (the first
    k = 50 run of the course recorded epoch 4 at 1e-3, stage 1's rate, until fit_schedule stopped overriding it)."""
    monkeypatch.setenv("VAE_COURSE_QUIET", "1")
    import reproduce_iwae
    from vae_course.io import read_csv
    from vae_course.iwae import burda_config, burda_schedule, fit_schedule
    run = tmp_path / "06_vae_k1_b50"
    fit_schedule(burda_config("vae_k1", device="cpu", epochs=4, train_size=200, batch_size=50), run, burda_schedule(2))
    assert reproduce_iwae.main(TINY + ["--out", str(tmp_path), "--stages", "2"]) == 0
    (point,) = read_csv(run / "curve.csv")
    assert point["epoch"] == 4 and point["lr"] == pytest.approx(burda_schedule(2)[1][1], rel=1e-12), point


def test_adam_eps_run(tmp_path, monkeypatch):
    "--adam-eps trains in its own folder, with that ε in the optimiser and the checkpoint, and burda_runs reads it back."
    monkeypatch.setenv("VAE_COURSE_QUIET", "1")
    import reproduce_iwae
    from vae_course.iwae import burda_runs
    from vae_course.train import Trainer
    assert reproduce_iwae.main(TINY + ["--out", str(tmp_path), "--stages", "1", "--adam-eps", "1e-4"]) == 0
    run = tmp_path / "06_vae_k1_b50_eps1e-04"
    t = Trainer.load(run / "checkpoint.pt", progress=False)
    assert t.cfg.adam_eps == 1e-4 and [g["eps"] for g in t.opt.param_groups] == [1e-4]
    runs = burda_runs(tmp_path)
    assert list(runs) == [run.name] and (runs[run.name]["adam_eps"], runs[run.name]["batch_size"]) == (1e-4, 50)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_signal_stops_a_background_run_cleanly(tmp_path, sig):
    """Ctrl-C or `kill` stops a run started in the background: a shell without job control starts `cmd &` with
    SIGINT ignored (the course's long runs went on through `pkill -INT` until the tool restored it), and SIGTERM
    ended the process without logging the stretch it had trained. Both now stop it within seconds (a compile under way
    runs to its end: vae_course.io.interrupt_safely), with the stretch logged."""
    import signal
    import subprocess
    import time
    from vae_course.checkpoints import load_checkpoint
    from vae_course.io import read_csv
    run = tmp_path / "06_vae_k1_b50"
    env = dict(os.environ, VAE_COURSE_QUIET="1", OMP_NUM_THREADS="1")
    log = (tmp_path / "stderr.txt").open("wb")                # a file, not a pipe nobody reads while it runs
    p = subprocess.Popen([sys.executable, str(ROOT / "tools" / "reproduce_iwae.py"), *TINY, "--out", str(tmp_path)],
                         env=env, stdout=subprocess.DEVNULL, stderr=log,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))   # as `cmd &` starts it
    try:
        deadline = time.monotonic() + 120
        while not (run / "curve.csv").exists():              # past stage 1's curve point: the schedule is under way
            assert p.poll() is None and time.monotonic() < deadline, (tmp_path / "stderr.txt").read_text()[-2000:]
            time.sleep(0.2)
        p.send_signal(getattr(signal, sig))
        rc = p.wait(timeout=60)                               # ignored, the run would go on through 3,280 epochs
    finally:
        if p.poll() is None: p.kill()
        log.close()
    assert rc == 128 + getattr(signal, sig) and f"reproduce_iwae: stopped by {sig}" in (tmp_path / "stderr.txt").read_text()
    (stretch,) = read_csv(run / "stretches.csv")              # SIGTERM's default would have left no row
    assert stretch["first_epoch"] == 1 and stretch["last_epoch"] == load_checkpoint(run / "checkpoint.pt")["epoch"] >= 1
