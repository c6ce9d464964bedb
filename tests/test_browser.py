"""End to end in a real browser (headless Chromium driven by Playwright, with the system's browser):

1. JupyterLab opens the real notebooks 07 and 93 (in nbs/, autosave off) and runs them cell by cell with
   Shift+Enter and a person's pauses, failing on any error output; 07's own checks then see the widgets
   after the browser drew (and echoed) their sliders. Then every widget of 07 is used with the mouse
   (sliders dragged, boxes typed into, buttons clicked), and the kernel's state and the pixels on screen
   are checked after each. Set E2E_SCREENSHOTS=DIR to keep screenshots of each widget.
2. The website's explorer (the notebook's explorer markup, latent_explorer.js and the decoder files,
   served over http as the published site serves them): the test moves a range slider and clicks the
   2-D map, and checks the canvas pixels against PyTorch's decoder for the codes the page shows.

Without Chromium, Playwright (or, for 1., MNIST) the tests skip and say why. Setup: `apt-get install -y chromium` and
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
from helpers import has_mnist
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


# ---- 1. the real notebooks in JupyterLab, cell by cell ------------------------------------------

SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "")) if os.environ.get("E2E_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on localhost serving the course's own nbs/ folder (the real notebooks), with its own
    config, runtime, settings and workspace folders; autosave off, so running a notebook never rewrites it."""
    if not has_mnist(): pytest.skip("MNIST not found (set VAE_COURSE_DATA): the notebooks read test images")
    work = tmp_path_factory.mktemp("lab")
    settings = work / "settings" / "@jupyterlab"
    for plugin, values in {"apputils-extension/notification": {"checkForUpdates": False, "fetchNews": "false"},
                           "docmanager-extension/plugin": {"autosave": False},
                           "notebook-extension/tracker": {"windowingMode": "none"}}.items():   # every cell attached, drawn
        f = settings / f"{plugin}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(work / "config"), JUPYTER_RUNTIME_DIR=str(work / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(work / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
               PYTHONPATH=str(ROOT), OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    log = open(work / "lab.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
                             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                             f"--ServerApp.root_dir={NBS}", "--LabApp.expose_app_in_browser=True",
                             "--FileContentsManager.checkpoints_kwargs={'root_dir': %r}" % str(work / "checkpoints")],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=NBS)
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
        yield {"url": lambda nb: f"http://127.0.0.1:{port}/lab/tree/{nb}?token={token}&reset", "work": work}
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

CELL_STATE = """(i) => {
  const nb = window.jupyterapp.shell.currentWidget.content, c = nb.widgets[i];
  const outs = c.model.type === 'code' ? c.model.outputs.toJSON() : [];
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  return {type: c.model.type, count: c.model.type === 'code' ? c.model.executionCount : null, active: nb.activeCellIndex,
          idle: k.status === 'idle', n: nb.widgets.length, src: c.model.sharedModel.getSource().slice(0, 80),
          errors: outs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
          text: c.node.innerText.includes('Error displaying widget') ? 'Error displaying widget' : ''};
}"""

KERNEL_RUN = """async (code) => {
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  let out = '';
  const f = k.requestExecute({code, silent: false, store_history: false});
  f.onIOPub = (m) => { if (m.header.msg_type === 'stream') out += m.content.text;
                       if (m.header.msg_type === 'error') out += 'ERROR ' + m.content.ename + ': ' + m.content.evalue; };
  await f.done;
  return out;
}"""


def open_notebook(page, lab, name):
    page.goto(lab["url"](name))
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)           # the kernel itself, not just the indicator
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)


def run_cell_by_cell(page, pause_ms=400, skip=("nbdev.nbdev_export()",), skip_slow=False):
    """Select the first cell and press Shift+Enter on each cell in turn, as a person does: wait until the cell
    has run and the kernel is idle, look for a moment, go on. Fails on the first error output. With `skip_slow`,
    `#| slow` cells (hours of training) are stepped over, as nbdev_test steps over them."""
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
    page.keyboard.press("Escape")                                 # command mode, first cell selected
    n = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets.length")
    ran = 0
    for i in range(n):
        state = page.evaluate(CELL_STATE, i)
        if any(s in state["src"] for s in skip): break              # the export cell would rewrite the package
        if skip_slow and state["type"] == "code" and "#| slow" in state["src"]:
            page.keyboard.press("ArrowDown")                         # select the next cell without running this one
            continue
        page.keyboard.press("Shift+Enter")
        if state["type"] == "code":
            page.wait_for_function(f"() => {{ const s = ({CELL_STATE})({i}); return s.count !== null && s.idle; }}",
                                   timeout=300_000)
            ran += 1
        page.wait_for_timeout(pause_ms)                              # a person looks at the output
        state = page.evaluate(CELL_STATE, i)
        assert not state["errors"] and not state["text"], f"cell {i} ({state['src']!r}): {state['errors'] or state['text']}"
    return ran


def kernel(page, code: str) -> str:
    out = page.evaluate(KERNEL_RUN, code)
    assert "ERROR" not in out, out
    return out.strip()


def steady(page, sel, quiet_s=1.0):
    "The text of `sel` once it has stopped changing for `quiet_s` (the browser's first redraws are over)."
    loc = page.locator(sel)
    last, since = loc.inner_text(), time.time()
    while time.time() - since < quiet_s:
        page.wait_for_timeout(200)
        if (now := loc.inner_text()) != last: last, since = now, time.time()
    return last


def drag(page, handle, dx):
    "Press the mouse on a slider handle, move it by dx pixels in a few steps, release."
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y); page.mouse.down()
    page.mouse.move(x + dx, y, steps=6); page.mouse.up()


def redrawn(page, root, img, before_status, before_src):
    "Wait until the kernel redrew widget `root` (a new status line and a new, loaded image) and the updates stopped."
    page.wait_for_function(f"() => document.querySelector('{root} .vae-status').innerText !== {json.dumps(before_status)}",
                           timeout=30_000)
    page.wait_for_function(f"() => {{ const i = document.querySelector('{root} {img}');"
                           f" return i.src !== {json.dumps(before_src)} && i.complete && i.naturalWidth > 0; }}", timeout=30_000)
    steady(page, f"{root} .vae-status")   # a drag in several steps sends several updates: wait for the last one


def shot(locator, name):
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        locator.screenshot(path=str(SHOTS / name))


def test_notebook_07_cell_by_cell_in_jupyterlab(browser, lab):
    """The real notebook 07, run cell by cell: its own checks (the widgets' codes equal the posterior means to
    1e-6 after the browser drew the sliders) must pass; then every widget is used with the mouse."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_notebook(page, lab, "07_latent_explorer.ipynb")
        assert run_cell_by_cell(page) > 30
        trav, interp, prior, man = (f".jp-Cell .{c}" for c in ("vae-traversal", "vae-interpolation", "vae-prior-sampler", "vae-manifold"))
        for root in (trav, interp, prior, man): page.locator(root).wait_for(timeout=30_000)
        # -- traversal: the browser has drawn the sliders (and sent back their rounded values); the code is still exact
        for root in (trav, man): page.locator(root).scroll_into_view_if_needed(); page.wait_for_timeout(500)
        assert kernel(page, "print(bool((trav_w.z == encode_means(model, images[:1])[0]).all()), "
                            "bool((man_w.z == codes[0]).all()), trav_w.updates, man_w.updates)") == "True True 1 1"
        status = steady(page, f"{trav} .vae-status")
        shot(page.locator(trav), "07_traversal.png")
        top = int(kernel(page, "print(int(stats.order[0]))"))
        src = page.locator(f"{trav} img.vae-decoded").get_attribute("src")
        before = grey(page.locator(f"{trav} img.vae-decoded").screenshot())
        drag(page, page.locator(f"{trav} .vae-z{top} .noUi-handle"), 90)
        redrawn(page, trav, "img.vae-decoded", status, src)
        page.wait_for_timeout(300)
        after = grey(page.locator(f"{trav} img.vae-decoded").screenshot())
        assert (after - before).abs().mean().item() > 0.01, "the decoded image must change on screen"
        assert kernel(page, "d = trav_w.z - encode_means(model, images[:1])[0]; "
                            "print(int((d != 0).sum()), bool((shown(trav_w) - expected(trav_w.z)).abs().max() <= 1.01 / 255))"
                      ) == "1 True", "one coordinate moved, and the picture is the decoder's for the code"
        status = steady(page, f"{trav} .vae-status")
        page.locator(f"{trav} .vae-index input").fill("7"); page.keyboard.press("Enter")
        page.wait_for_function(f"() => document.querySelector('{trav} .vae-start-label').innerText.includes('test image 7')",
                               timeout=30_000)
        steady(page, f"{trav} .vae-status")
        assert kernel(page, "print(bool((trav_w.z == encode_means(model, images[7:8])[0]).all()))") == "True"
        page.locator(f"{trav} .vae-prior").click()
        page.wait_for_function(f"() => document.querySelector('{trav} .vae-start-label').innerText.includes('prior sample')",
                               timeout=30_000)
        shot(page.locator(trav), "07_traversal_after.png")
        # -- interpolation: drag the step slider, switch to the straight line
        status = steady(page, f"{interp} .vae-status")
        shot(page.locator(interp), "07_interpolation.png")
        src = page.locator(f"{interp} img.vae-decoded").get_attribute("src")
        drag(page, page.locator(f"{interp} .vae-step .noUi-handle"), 60)
        redrawn(page, interp, "img.vae-decoded", status, src)
        label = page.locator(f"{interp} .vae-step-label").inner_text()
        k = int(re.search(r"step (\d+) of 10", label).group(1))
        assert k > 0 and kernel(page, "print(interp_w.t.value)") == str(k), label
        box = page.locator(f"{interp} img.vae-decoded").bounding_box()
        assert abs(box["width"] - box["height"]) < 2, f"the decoded image is stretched: {box}"
        for thumb in ("img.vae-from-image", "img.vae-to-image"):                 # the endpoints: square, not stretched
            b = page.locator(f"{interp} {thumb}").bounding_box()
            assert abs(b["width"] - b["height"]) < 2 and b["width"] > 50, (thumb, b)
        page.locator(f"{interp} .vae-method button", has_text="linear").click()
        page.wait_for_function(f"() => document.querySelector('{interp} .vae-step-label').innerText.includes('linear')",
                               timeout=30_000)
        assert kernel(page, "print(interp_w.method.value)") == "linear"
        shot(page.locator(interp), "07_interpolation_after.png")
        # -- prior samples: a lower temperature, then new samples
        status = steady(page, f"{prior} .vae-status")
        src = page.locator(f"{prior} img.vae-samples").get_attribute("src")
        drag(page, page.locator(f"{prior} .vae-temperature .noUi-handle"), -40)
        redrawn(page, prior, "img.vae-samples", status, src)
        tau = float(kernel(page, "print(prior_w.tau)"))
        assert 0 < tau < 1, tau
        assert kernel(page, "print(bool((read_png(prior_w.image.value, 3) - grid_of(prior_w.tau * eps_)).abs().max() <= 1.01 / 255))"
                      ) == "True", "the grid shown is the decoder's for z = τε"
        status = steady(page, f"{prior} .vae-status")
        page.locator(f"{prior} .vae-again").click()
        page.wait_for_function(f"() => document.querySelector('{prior} .vae-status').innerText !== {json.dumps(status)}",
                               timeout=30_000)
        assert kernel(page, "print(prior_w.seed.value)") == "1"
        shot(page.locator(prior), "07_prior.png")
        # -- 2-D explorer: drag z1, then jump to a test image
        status = steady(page, f"{man} .vae-status")
        shot(page.locator(man), "07_manifold.png")
        src = page.locator(f"{man} img.vae-map").get_attribute("src")
        drag(page, page.locator(f"{man} .vae-z1 .noUi-handle"), 70)
        redrawn(page, man, "img.vae-map", status, src)
        assert kernel(page, "print(bool(man_w.z[1] == codes[0][1]), bool(man_w.z[0] != codes[0][0]))") == "True True"
        status = steady(page, f"{man} .vae-status")
        page.locator(f"{man} .vae-index input").fill("12"); page.keyboard.press("Enter")
        page.wait_for_function(f"() => document.querySelector('{man} .vae-status').innerText !== {json.dumps(status)}",
                               timeout=30_000)
        steady(page, f"{man} .vae-status")
        assert kernel(page, "print(bool((man_w.z == codes[12].clamp(-3.5, 3.5)).all()))") == "True"
        shot(page.locator(man), "07_manifold_after.png")
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                              has_text="Traceback").count()
        assert errors == 0, "a widget callback raised"
    except Exception:
        page.screenshot(path=str(lab["work"] / "failure.png"), full_page=True)
        print(f"screenshot of the failure: {lab['work'] / 'failure.png'}; JupyterLab's log: {lab['work'] / 'lab.log'}")
        raise
    finally:
        page.close()


def test_notebook_93_cell_by_cell_in_jupyterlab(browser, lab):
    "The widgets' library notebook, run cell by cell in JupyterLab: no error output."
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_notebook(page, lab, "93_widgets.ipynb")
        assert run_cell_by_cell(page, pause_ms=150) > 20
    except Exception:
        page.screenshot(path=str(lab["work"] / "failure93.png"))
        raise
    finally:
        page.close()


E2E_NOTEBOOKS = [n for n in os.environ.get("E2E_NOTEBOOKS", "").split(",") if n]


@pytest.mark.skipif(not E2E_NOTEBOOKS, reason="opt-in: E2E_NOTEBOOKS=06_iwae.ipynb,06b_beyond_iwae.ipynb runs those")
@pytest.mark.parametrize("name", E2E_NOTEBOOKS or ["-"])
def test_named_notebook_cell_by_cell_in_jupyterlab(browser, lab, name):
    """Any notebook named in E2E_NOTEBOOKS, run cell by cell in JupyterLab as a learner runs it, `#| slow` cells
    stepped over: no error output, and every other code cell ran (a check for a page changed in a session,
    not part of `make test`)."""
    cells = nbformat.read(NBS / name, as_version=4).cells
    end = next((i for i, c in enumerate(cells) if "nbdev.nbdev_export()" in c.source), len(cells))   # where it stops
    expected = sum(c.cell_type == "code" and "#| slow" not in c.source[:80] for c in cells[:end])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_notebook(page, lab, name)
        assert run_cell_by_cell(page, pause_ms=150, skip_slow=True) == expected
    except Exception:
        page.screenshot(path=str(lab["work"] / f"failure-{name}.png"))
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
    from vae_course.explore import decode_images
    from vae_course.pretrained import load_pretrained
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
