"""`vae-course sample`, `traverse` and `interpolate` (notebook 95), run as real processes: the PNGs they
write hold exactly the decoder's images, and bad arguments exit with status 2 (usage) or 1 (a missing
or wrong model) and a message, never a traceback."""
import contextlib
import io
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch
from helpers import needs_data

from vae_course.explore import decode_images, encode_means, eval_images, lerp, slerp
from vae_course.pretrained import PRETRAINED, load_pretrained
from vae_course.widgets import read_png
from vae_course.models import build_vae, image_grid
from vae_course.checkpoints import save_checkpoint
from vae_course.cli import main
from vae_course.train import TrainConfig




def process(*args):
    "Run the command line in a fresh process, as the installed `vae-course` script does: (exit code, stdout, stderr)."
    r = subprocess.run([sys.executable, "-c", "import sys; from vae_course.cli import main; sys.exit(main())", *map(str, args)],
                       capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout, r.stderr


def cli(*args):
    "Run the command line in this process (faster: torch is already imported): (exit code, stdout, stderr)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try: code = main([str(a) for a in args])
        except SystemExit as e: code = e.code
    return code, out.getvalue(), err.getvalue()


def quantised(images, nrow):
    return (image_grid(images, nrow) * 255).round() / 255


@pytest.fixture(scope="module")
def model():
    return load_pretrained("mlp20")


def test_help_lists_the_commands():
    code, out, _ = process("--help")
    assert code == 0 and all(c in out for c in ("sample", "traverse", "interpolate", "train", "eval"))


def test_sample(tmp_path, model):
    code, out, err = process("sample", "mlp20", "--n", "12", "--nrow", "6", "--temperature", "0.7", "--seed", "4",
                         "--scale", "3", "--out", tmp_path / "s.png")
    assert code == 0, err
    assert "12 prior samples at temperature 0.7, seed 4" in out
    expected = quantised(model.sample(12, 0.7, torch.Generator().manual_seed(4)), 6)
    assert torch.allclose(read_png((tmp_path / "s.png").read_bytes(), 3), expected, atol=1.01 / 255)


def test_traverse_from_a_prior_sample(tmp_path, model):
    code, out, err = cli("traverse", "mlp20", "--seed", "3", "--dims", "5,0", "--steps", "7", "--limit", "2",
                         "--out", tmp_path / "t.png")
    assert code == 0, err
    z0 = torch.randn(20, generator=torch.Generator().manual_seed(3))
    z = z0.repeat(2, 7, 1)
    z[0, :, 5] = torch.linspace(-2, 2, 7); z[1, :, 0] = torch.linspace(-2, 2, 7)
    expected = quantised(decode_images(model, z.view(-1, 20)), 7)
    assert torch.allclose(read_png((tmp_path / "t.png").read_bytes(), 2), expected, atol=1.01 / 255)


def test_interpolate_prior_samples_from_a_checkpoint_file(tmp_path):
    torch.manual_seed(0)
    m = build_vae("mlp", latent=3)
    save_checkpoint({"config": asdict(TrainConfig(latent=3)), "model": m.state_dict(), "ema": None, "epoch": 0,
                     "history": []}, tmp_path / "checkpoint.pt")
    code, out, err = cli("interpolate", tmp_path / "checkpoint.pt", "--seeds", "1", "2", "--steps", "5",
                         "--method", "spherical", "--out", tmp_path / "i.png")
    assert code == 0, err
    z0, z1 = (torch.randn(3, generator=torch.Generator().manual_seed(s)) for s in (1, 2))
    expected = quantised(decode_images(m.eval(), slerp(z0, z1, torch.linspace(0, 1, 5))), 5)
    assert torch.allclose(read_png((tmp_path / "i.png").read_bytes(), 2), expected, atol=1.01 / 255)


@needs_data
def test_interpolate_and_traverse_test_images(tmp_path, model):
    code, out, err = cli("interpolate", "mlp20", "--images", "5", "8", "--steps", "6", "--out", tmp_path / "i.png")
    assert code == 0, err
    x, _ = eval_images(9, TrainConfig(**PRETRAINED["mlp20"]["config"]))   # binarized, as the model was trained
    z0, z1 = encode_means(model, x[[5, 8]])
    t = torch.linspace(0, 1, 6)
    expected = quantised(decode_images(model, torch.cat([lerp(z0, z1, t), slerp(z0, z1, t)])), 6)
    assert torch.allclose(read_png((tmp_path / "i.png").read_bytes(), 2), expected, atol=1.01 / 255)
    code, out, err = cli("traverse", "mlp20", "--image", "5", "--top", "4", "--out", tmp_path / "t.png")
    assert code == 0, err
    assert read_png((tmp_path / "t.png").read_bytes(), 2).shape == (4 * 29 - 1, 11 * 29 - 1)


@pytest.mark.parametrize("args, status, message", [
    (["sample", "mlp20", "--temperature", "-0.5"], 2, "--temperature must be >= 0"),
    (["sample", "mlp20", "--n", "-3"], 2, "must be positive"),
    (["sample", "mlp99"], 1, "neither a checkpoint file nor a pretrained model name (pretrained: mlp20, mlp2)"),
    (["sample", "no/such/checkpoint.pt"], 1, "neither a checkpoint file nor a pretrained model name"),
    (["traverse", "mlp2", "--dims", "0,2"], 2, "out of range: the model has latent dimensions 0..1"),
    (["traverse", "mlp20", "--dims", "x"], 2, "expected comma-separated dimension numbers"),
    (["interpolate", "mlp20", "--seeds", "1"], 2, "expected 2 arguments"),
    (["interpolate", "mlp20", "--steps", "0"], 2, "must be positive"),
])
def test_bad_arguments(tmp_path, args, status, message):
    code, out, err = cli(*args, "--out", tmp_path / "x.png")
    assert code == status, (code, err)
    assert message in err and "Traceback" not in err, err
    assert not (tmp_path / "x.png").exists()


def test_a_file_that_is_not_a_checkpoint(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"junk")
    code, out, err = process("sample", tmp_path / "junk.pt", "--out", tmp_path / "x.png")
    assert code == 1 and "is not a readable vae-course checkpoint" in err and "Traceback" not in err, err
