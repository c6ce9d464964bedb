#!/usr/bin/env python
"""Screenshot every page of the rendered site (_docs/, from `make docs`) in headless Chromium, as a
reader sees it, and print what each page shows: typeset equations, MathJax errors, images that did
not load, blank canvases, JavaScript errors and failed requests.

The pages load MathJax from a CDN; offline, pass --mathjax DIR, the folder of an npm install of
MathJax 3 (`npm install mathjax@3` in DIR), and the page's requests for .../mathjax@3/es5/... are
answered from DIR/node_modules/mathjax/es5. Every other request to another host is refused (fonts
fall back to the browser's). Needs Chromium (Debian: apt-get install -y chromium) and Playwright.

Usage: python tools/site_screenshots.py [--docs _docs] [--out site_shots] [--mathjax DIR] [--width 1280]
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import re
import shutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PROBE = """() => {
  const imgs = Array.from(document.images);
  const canvases = Array.from(document.querySelectorAll('canvas')).map(c => {
    if (!c.width || !c.height) return {w: 0, h: 0, range: 0};
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lo = 255, hi = 0;
    for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
    return {w: c.width, h: c.height, range: hi - lo};
  });
  return {
    title: document.title,
    math: document.querySelectorAll('mjx-container').length,
    math_errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 5),
    raw_tex: (() => {   // TeX that MathJax left as text, outside code
      const m = (document.querySelector('main') || document.body).cloneNode(true);
      m.querySelectorAll('pre, code, .sourceCode, mjx-container, script, style').forEach(e => e.remove());
      document.body.appendChild(m); const t = m.innerText; m.remove();
      return t.match(/\\$[^$\\n]{1,60}\\$|\\\\[a-zA-Z]+\\{/g) || [];
    })(),
    images: imgs.length,
    broken_images: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src').slice(0, 80)),
    canvases: canvases.length,
    blank_canvases: canvases.filter(c => c.range < 16).length,
    height: document.documentElement.scrollHeight,
  };
}"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", default=str(ROOT / "_docs"))
    ap.add_argument("--out", default=str(ROOT / "site_shots"))
    ap.add_argument("--mathjax", default=None, help="folder holding node_modules/mathjax (MathJax 3 from npm)")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--pages", nargs="*", help="only these pages (e.g. index.html)")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    docs, out = Path(a.docs), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    es5 = Path(a.mathjax) / "node_modules" / "mathjax" / "es5" if a.mathjax else None
    if es5 is not None and not (es5 / "tex-chtml-full.js").exists() and not (es5 / "tex-chtml.js").exists():
        sys.exit(f"{es5} holds no MathJax 3 (npm install mathjax@3 in {a.mathjax})")
    chromium = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if chromium is None: sys.exit("Chromium is not installed (Debian: apt-get install -y chromium)")

    handler = functools.partial(Quiet, directory=str(docs))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"

    def external(route):
        url = route.request.url
        m = re.search(r"/mathjax@3/es5/(.+?)(?:\?.*)?$", url)
        if es5 is not None and m and (es5 / m.group(1)).is_file():
            return route.fulfill(path=str(es5 / m.group(1)))
        return route.abort()

    pages = a.pages or sorted(p.name for p in docs.glob("*.html"))
    report = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        for name in pages:
            page = browser.new_page(viewport={"width": a.width, "height": 900})
            errors, failed = [], []
            page.on("pageerror", lambda e: errors.append(str(e)[:200]))
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), external)
            page.goto(base + name, wait_until="load")
            if es5 is not None:
                try:
                    page.wait_for_function("() => !window.MathJax || (window.MathJax.startup && "
                                           "window.MathJax.startup.promise && true)", timeout=10000)
                    page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
                except Exception as e:  # a page without math has no MathJax
                    errors.append(f"MathJax did not start: {e}"[:200])
            page.wait_for_timeout(800)
            info = page.evaluate(PROBE)
            info.update(js_errors=errors, failed_requests=[f for f in failed if "127.0.0.1" in f])
            page.screenshot(path=str(out / (Path(name).stem + ".png")), full_page=True)
            page.close()
            report[name] = info
            print(f"{name}: {info['math']} equations typeset, {len(info['math_errors'])} MathJax errors, "
                  f"{len(info['raw_tex'])} raw TeX left, {info['images']} images ({len(info['broken_images'])} broken), "
                  f"{info['canvases']} canvases ({info['blank_canvases']} blank), {len(errors)} JS errors, "
                  f"{len(info['failed_requests'])} failed local requests, {info['height']} px tall")
        browser.close()
    server.shutdown()
    (out / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"screenshots and report.json in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
