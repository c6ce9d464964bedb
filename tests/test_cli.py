"""The installed `vae-course` command: help that documents every option, exit status 2 for bad
arguments, a clear error (status 1, no traceback) for a missing checkpoint, and train and eval
without ipywidgets."""
import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vae_course.train import TrainConfig

EXE = shutil.which("vae-course", path=str(Path(sys.executable).parent))


def run(*args):
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120)


pytestmark = pytest.mark.skipif(EXE is None, reason="the vae-course console script is not installed (run `make install`)")


def test_help_lists_commands():
    r = run("--help")
    assert r.returncode == 0 and "train" in r.stdout and "eval" in r.stdout


def test_train_help_documents_every_config_field():
    r = run("train", "--help")
    assert r.returncode == 0
    for f in dataclasses.fields(TrainConfig):
        assert f"--{f.name.replace('_', '-')}" in r.stdout, f"--{f.name} is not documented"
    assert "--resume" in r.stdout and "--out" in r.stdout


@pytest.mark.parametrize("args, needle", [
    (["train", "--arch", "transformer"], "invalid choice"),
    (["train", "--lr", "-1"], "lr must be > 0"),
    (["train", "--epochs", "many"], "invalid int value"),
    (["eval"], "the following arguments are required: checkpoint"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_arguments_exit_2(args, needle):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr, r.stderr


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    r = run("eval", str(tmp_path / "nope.pt"))
    assert r.returncode == 1
    assert "no checkpoint at" in r.stderr and "Traceback" not in r.stderr


def test_foreign_checkpoint_is_a_clear_error(tmp_path):
    import torch
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    r = run("eval", str(tmp_path / "other.pt"))
    assert r.returncode == 1
    assert "expected 'vae-course-checkpoint/1'" in r.stderr and "Traceback" not in r.stderr


def test_train_and_eval_need_no_ipywidgets():
    "ipywidgets is for the notebooks' widgets; a GPU server without it must still train and evaluate from the command line."
    code = ("import sys; sys.modules['ipywidgets'] = None\n"          # `import ipywidgets` now raises ImportError
            "from vae_course.cli import main\n"
            "for cmd in ('train', 'eval'):\n"
            "    try: main([cmd, '--help'])\n"
            "    except SystemExit as e: assert e.code == 0, (cmd, e.code)\n"
            "assert 'vae_course.widgets' not in sys.modules\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-800:]
