"""End to end in a real browser (headless Chromium driven by Playwright, with the system's browser):

1. JupyterLab runs a notebook that shows notebook 07's latent traversal widget; the test moves a
   slider with the mouse and checks, from screenshots, that the kernel decoded and drew a new image.
2. The website's explorer (the notebook's explorer markup, latent_explorer.js and the decoder files,
   served over http as the published site serves them): the test moves a range slider and clicks the
   2-D map, and checks the canvas pixels against PyTorch's decoder for the codes the page shows.

Without Chromium or Playwright the tests skip and say why. Setup: `apt-get install -y chromium` and
`pip install playwright` (no browser download: the system's Chromium is used).
"""
import functools
import http.server
import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
try:
    from playwright.sync_api import sync_playwright
    PLAYWRIGHT_MISSING = None
except ImportError as e:
    PLAYWRIGHT_MISSING = str(e)

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install -y chromium)"),
    pytest.mark.skipif(PLAYWRIGHT_MISSING is not None,
                       reason=f"Playwright is not installed (pip install playwright): {PLAYWRIGHT_MISSING}"),
]
# Headless, and none of Chromium's own connections (the network here is closed to them).
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def grey(png: bytes) -> torch.Tensor:
    import numpy as np
    from PIL import Image
    return torch.from_numpy(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype="float32") / 255)


# ---- 1. the ipywidgets traversal in JupyterLab ------------------------------------------------

E2E_CELLS = [
    "from vae_course.explore import Traversal, load_pretrained\n"
    "w = Traversal(load_pretrained('mlp20'), seed=0)\n"
    "w.add_class('e2e-traversal')\n"
    "w",
    "print('E2E-READY', w.updates)",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "A JupyterLab server on localhost with its own folders and settings, serving a notebook that shows the widget."
    work = tmp_path_factory.mktemp("lab")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in E2E_CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, work / "e2e.ipynb")
    settings = work / "settings" / "@jupyterlab"
    for plugin, values in {"apputils-extension/notification": {"checkForUpdates": False, "fetchNews": "false"},
                           "docmanager-extension/plugin": {"autosave": False}}.items():
        f = settings / f"{plugin}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(work / "config"), JUPYTER_RUNTIME_DIR=str(work / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(work / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
               PYTHONPATH=str(ROOT))
    log = open(work / "lab.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
                             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                             f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.flush()
                    pytest.fail(f"JupyterLab did not start:\n{(work / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield {"url": f"http://127.0.0.1:{port}/lab/tree/e2e.ipynb?token={token}&reset", "work": work}
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()


KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""


def test_traversal_widget_in_jupyterlab(browser, lab):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(lab["url"])
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)       # the kernel itself, not just the indicator
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_selector("text=E2E-READY 1", timeout=180_000)
        assert page.locator(".jp-InputPrompt", has_text="[1]:").count() >= 1, "the first cell must have run"
        image = page.locator(".e2e-traversal img.vae-decoded")
        image.wait_for(state="visible", timeout=60_000)
        status = page.locator(".e2e-traversal .vae-status")
        # Rendering the sliders may round their values to the step and send them back (a few redraws):
        # wait until the kernel's drawing is steady before touching anything.
        last, since = status.inner_text(), time.time()
        while time.time() - since < 1.5:
            page.wait_for_timeout(250)
            if (now := status.inner_text()) != last: last, since = now, time.time()
        assert re.match(r"update \d+: decoded and drawn in", last), last
        src_before = image.get_attribute("src")
        before = grey(image.screenshot())

        handle = page.locator(".e2e-traversal .vae-z0 .noUi-handle")             # drag slider z0 to the right
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 90, box["y"] + box["height"] / 2, steps=6)
        page.mouse.up()

        page.wait_for_function(f"() => document.querySelector('.e2e-traversal .vae-status').innerText !== {json.dumps(last)}",
                               timeout=30_000)                                  # the kernel redrew at least once
        page.wait_for_function(f"() => {{ const i = document.querySelector('.e2e-traversal img.vae-decoded');"
                               f" return i.src !== {json.dumps(src_before)} && i.complete && i.naturalWidth > 0; }}",
                               timeout=30_000)
        readout = page.locator(".e2e-traversal .vae-z0 .widget-readout").inner_text()
        assert float(readout) > 0.3, f"the slider moved to {readout}"
        page.wait_for_timeout(300)
        after = grey(image.screenshot())
        assert before.shape == after.shape
        change = (after - before).abs().mean().item()
        assert change > 0.01, f"the decoded image barely changed on screen (mean |Δ| = {change:.4f})"
    except Exception:
        page.screenshot(path=str(lab["work"] / "failure.png"))
        print(f"screenshot of the failure: {lab['work'] / 'failure.png'}; JupyterLab's log: {lab['work'] / 'lab.log'}")
        raise
    finally:
        page.close()


# ---- 2. the website's JavaScript explorer ----------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "The notebook's explorer markup in a page, with the script and decoder files, served over http."
    d = tmp_path_factory.mktemp("site")
    nb = nbformat.read(NBS / "07_latent_explorer.ipynb", as_version=4)
    markup = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown" and "vae-explorer" in c.source
                       and "<div" in c.source)
    assert 'class="vae-explorer"' in markup and "<script" in markup, "the notebook must carry the explorer markup"
    for f in ["latent_explorer.js", *re.findall(r'data-weights="([^"]+)"', markup)]: shutil.copy(NBS / f, d / f)
    (d / "index.html").write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{markup}</body></html>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(d))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


CANVAS = """(sel) => { const c = document.querySelector(sel); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const out = []; for (let i = 0; i < d.length; i += 4) out.push(d[i]); return out; }"""


def expected(name, z):
    from vae_course.explore import decode_images, load_pretrained
    return (decode_images(load_pretrained(name), torch.tensor(z)).view(-1) * 255).round()


def test_site_explorer_in_chromium(browser, site):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(site)
        page.wait_for_selector('[data-mode="traversal"][data-ready="true"]', timeout=30_000)
        page.wait_for_selector('[data-mode="manifold"][data-ready="true"]', timeout=30_000)
        trav = '[data-mode="traversal"]'
        z = page.evaluate(f"() => document.querySelector('{trav}').vaeExplorer.z()")
        shown = torch.tensor(page.evaluate(CANVAS, f"{trav} canvas.vae-x-decoded"), dtype=torch.float32)
        assert (shown - expected("mlp20", z)).abs().max() <= 1, "the page must show PyTorch's image for its code"

        order = json.loads((NBS / "explorer_mlp20.json").read_text())["order"]
        slider = page.locator(f'{trav} input[type="range"][data-dim="{order[0]}"]')
        slider.fill("2.5")                                            # sets the value and fires `input`
        z2 = page.evaluate(f"() => document.querySelector('{trav}').vaeExplorer.z()")
        assert abs(z2[order[0]] - 2.5) < 1e-9 and z2[:order[0]] + z2[order[0] + 1:] == z[:order[0]] + z[order[0] + 1:]
        moved = torch.tensor(page.evaluate(CANVAS, f"{trav} canvas.vae-x-decoded"), dtype=torch.float32)
        assert (moved - expected("mlp20", z2)).abs().max() <= 1
        assert (moved - shown).abs().mean() > 2, "moving the top slider must change the image"
        assert "update 2:" in page.locator(f"{trav} .vae-x-status").inner_text()

        man = '[data-mode="manifold"]'
        box = page.locator(f"{man} canvas.vae-x-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)   # z ≈ (1.75, 1.75)
        zm = page.evaluate(f"() => document.querySelector('{man}').vaeExplorer.z()")
        assert abs(zm[0] - 1.75) < 0.05 and abs(zm[1] - 1.75) < 0.05, zm
        pic = torch.tensor(page.evaluate(CANVAS, f"{man} canvas.vae-x-decoded"), dtype=torch.float32)
        assert (pic - expected("mlp2", zm)).abs().max() <= 1
        assert not errors, errors
    finally:
        page.close()
