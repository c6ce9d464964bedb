"""The website's latent explorer (notebooks 07 and 94): its decoder files match the shipped pretrained weights,
and the JavaScript decoder (nbs/latent_explorer.js, the file the page loads) matches PyTorch to 1e-4
under node. Without node these tests skip with the reason, except under CI (CI=true), where they fail."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import torch

from vae_course.explore import decode_images
from vae_course.pretrained import PRETRAINED, load_pretrained
from vae_course.site import from_b64

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
NODE = shutil.which("node")


def need_node():
    if NODE is None:
        if os.environ.get("CI"): pytest.fail("node is not installed, and CI must run the JavaScript checks (apt-get install -y nodejs)")
        pytest.skip("node is not installed (apt-get install -y nodejs): the JavaScript decoder cannot be checked here")


@pytest.mark.parametrize("name", list(PRETRAINED))
def test_decoder_file_matches_shipped_weights(name):
    data = json.loads((NBS / f"explorer_{name}.json").read_text())
    model = load_pretrained(name)
    linears = [m for m in model.decoder.net if isinstance(m, torch.nn.Linear)]
    assert len(data["layers"]) == len(linears)
    for layer, lin in zip(data["layers"], linears):
        assert torch.equal(from_b64(layer["weight"]).view(lin.out_features, lin.in_features), lin.weight.detach())
        assert torch.equal(from_b64(layer["bias"]), lin.bias.detach())
    z = torch.tensor(data["checks"]["z"])
    ref = from_b64(data["checks"]["mean"]).view(len(z), -1)
    assert torch.allclose(ref, decode_images(model, z).view(len(z), -1), atol=1e-6), "the PyTorch references are stale"


def test_node_suite():
    need_node()
    r = subprocess.run([NODE, "--test", str(ROOT / "tests" / "latent_explorer.test.js")], capture_output=True, text=True,
                       timeout=120)
    print(r.stdout[-3000:], r.stderr[-3000:])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert re.search(r"# pass [1-9]", r.stdout) and "# fail 0" in r.stdout, r.stdout[-2000:]


@pytest.mark.parametrize("name", list(PRETRAINED))
def test_javascript_matches_pytorch_on_fresh_codes(name):
    need_node()
    model = load_pretrained(name)
    zs = torch.randn(12, model.latent, generator=torch.Generator().manual_seed(11)) * 2.5    # [12, K]
    script = ("const X = require(process.argv[1]); const fs = require('fs');"
              "const m = X.loadModel(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));"
              "const zs = JSON.parse(fs.readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(zs.map(z => Array.from(X.decode(m, z)))));")
    r = subprocess.run([NODE, "-e", script, str(NBS / "latent_explorer.js"), str(NBS / f"explorer_{name}.json")],
                       input=json.dumps(zs.tolist()), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    js = torch.tensor(json.loads(r.stdout), dtype=torch.float64)                              # [12, 784]
    err = (js - decode_images(model, zs).view(12, -1).double()).abs().max().item()
    assert err < 1e-4, f"max |JavaScript - PyTorch| = {err}"


def test_page_references_exist():
    "The notebook's explorer markup names a script and decoder files that exist beside it."
    nb = nbformat.read(NBS / "07_latent_explorer.ipynb", as_version=4)
    html = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    refs = re.findall(r'data-weights="([^"]+)"', html) + re.findall(r'<script src="([^"]+)"', html)
    assert {"latent_explorer.js", "explorer_mlp20.json", "explorer_mlp2.json"} <= set(refs), refs
    for ref in refs: assert (NBS / ref).is_file(), f"07_latent_explorer.ipynb refers to missing {ref}"
