"""Site checks.

Without Quarto: what can be checked on the notebooks and the configuration (sidebar order and
sections, front matter, links, images, captions, error-free saved outputs, nbdev's pre-processing,
the one Quarto configuration, the hand-written README).

With Quarto on PATH (it is not pip-installable; see https://quarto.org): the site is rendered with
`nbdev_docs`, as `make docs` renders it (about a minute), and every page is checked: each exported
public name documented exactly once, every internal link and anchor resolves, every image loads,
no code shown above generated prose, "View source" links point at files of the repository, one
description and a favicon; and, with Chromium and Playwright, that the site's latent explorer
draws. Without Quarto those tests skip and say why. VAE_COURSE_SITE_REUSE=1 checks the _docs/ of
an earlier render instead of rendering again (for iterating on the checks, never in CI).
"""
import configparser
import functools
import html
import http.server
import importlib
import inspect
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
NOTEBOOKS = sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))
COURSE = [p for p in NOTEBOOKS if p.name != "index.ipynb" and not p.name.startswith("9")]
LIBRARY = [p for p in NOTEBOOKS if p.name.startswith("9")]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SETTINGS = configparser.ConfigParser()
SETTINGS.read(ROOT / "settings.ini")
CFG = SETTINGS["DEFAULT"]


def read(p: Path):
    return nbformat.read(p, as_version=4)


def test_there_is_a_course():
    assert (NBS / "index.ipynb").exists() and COURSE, "nbs/ must hold index.ipynb and the course notebooks"
    for p in COURSE + LIBRARY:
        assert re.fullmatch(r"\d\d[a-z]?_[a-z0-9_]+\.ipynb", p.name), f"{p.name}: name it NN_topic.ipynb (or NNb_topic.ipynb)"


def sidebar_sections() -> dict[str, list[str]]:
    "The sidebar's sections, each as the list of its entries' hrefs."
    side = yaml.safe_load((NBS / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    href = lambda e: e if isinstance(e, str) else e.get("href")
    assert all(isinstance(e, dict) and "section" in e for e in side), "sidebar.yml: every top entry is a section"
    return {e["section"]: [href(c) for c in e["contents"]] for e in side}


def test_sidebar_lists_every_notebook_in_order():
    "Two sections: Course (the home page, then 00 ... 07 in order) and Library (the 9x notebooks), each notebook once."
    sections = sidebar_sections()
    expected = {"Course": ["index.ipynb"] + [p.name for p in COURSE]}
    if LIBRARY: expected["Library"] = [p.name for p in LIBRARY]
    assert sections == expected, f"sidebar.yml lists {sections}, expected {expected}"


def test_sidebar_names_the_course_home():
    "The first entry reads as what it is, not as the package's name."
    first = yaml.safe_load((NBS / "sidebar.yml").read_text())["website"]["sidebar"]["contents"][0]["contents"][0]
    assert first == {"text": "Course home", "href": "index.ipynb"}, first


def test_quarto_config_is_an_nbdev_website():
    "One configuration, at the top level; nbdev (which reads nbs/_quarto.yml) reads it through a link."
    assert (ROOT / "_quarto.yml").is_file() and not (ROOT / "_quarto.yml").is_symlink()
    assert (NBS / "_quarto.yml").is_symlink() and (NBS / "_quarto.yml").resolve() == (ROOT / "_quarto.yml").resolve(), \
        "nbs/_quarto.yml must be a symbolic link to ../_quarto.yml (nbdev renders nbs/ and writes a default one if it is missing)"
    q = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert q["project"]["type"] == "website"
    assert "sidebar.yml" in q["metadata-files"] and "nbdev.yml" in q["metadata-files"]
    assert q["website"]["navbar"]["search"] is True
    assert q["website"]["repo-subdir"] == CFG["nbs_path"], "View-source links need the notebooks' folder (repo-subdir)"
    for key in ("title", "description", "site-url", "repo-url", "repo-branch"):
        assert key not in q["website"], f"_quarto.yml: {key} comes from settings.ini (nbdev writes it into nbs/nbdev.yml)"
    assert (NBS / q["format"]["html"]["css"]).exists()
    assert (NBS / q["website"]["favicon"]).stat().st_size > 0


def test_readme_is_hand_written_and_left_alone():
    "nbdev_docs regenerates README.md from settings.ini's readme_nb when that notebook exists: it must not."
    assert not (NBS / CFG["readme_nb"]).exists(), f"settings.ini readme_nb = {CFG['readme_nb']} exists: " \
        "nbdev_docs would overwrite the hand-written README.md with it"
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme, "README.md must give the test command (CI runs it)"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_front_matter(nb):
    first = read(nb).cells[0]
    assert first.cell_type == "markdown", f"{nb.name}: the first cell must be Markdown front matter"
    lines = first.source.splitlines()
    assert lines[0].startswith("# "), f"{nb.name}: first line must be '# Title'"
    assert any(l.startswith("> ") for l in lines[1:4]), f"{nb.name}: a '> description' line must follow the title"
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor
    fm = getattr(NBProcessor(str(nb), procs=FrontmatterProc, process=True).nb, "frontmatter_", {})
    extra = set(fm) - {"title", "description", "output-file"}
    assert not extra, f"{nb.name}: nbdev reads {sorted(extra)} as front matter (a '- key: value' line in the first cell); " \
                      "keep the first cell to the title and the description"
    assert fm.get("title") == lines[0][2:].strip() and fm.get("description"), f"{nb.name}: title/description not found"
    if nb in COURSE:
        head = "\n".join(c.source for c in read(nb).cells[:2])
        assert "Learning outcomes" in head and "Prerequisites" in head, f"{nb.name}: open with learning outcomes and prerequisites"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_relative_links_and_images_exist(nb):
    for c in read(nb).cells:
        if c.cell_type != "markdown": continue
        for target in LINK.findall(c.source):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"): continue
            path = target.split("#")[0]
            assert (NBS / path).exists(), f"{nb.name}: link to missing {path}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_outputs_have_no_errors_and_figures_have_captions(nb):
    for i, c in enumerate(read(nb).cells):
        if c.cell_type != "code": continue
        for o in c.get("outputs", []):
            assert o.output_type != "error", f"{nb.name} cell {i}: saved error output {o.get('ename')}: {o.get('evalue')}"
            if o.output_type == "stream": assert o.name != "stderr" or "Traceback" not in o.text, f"{nb.name} cell {i}: traceback"
        figs = any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {}) for o in c.get("outputs", []))
        if figs:
            assert re.search(r"^#\|\s*fig-(cap|alt):", c.source, re.M), f"{nb.name} cell {i}: a figure needs `#| fig-cap:`"


def test_course_notebooks_have_been_executed():
    for nb in COURSE:
        code = [c for c in read(nb).cells if c.cell_type == "code" and c.source.strip()]
        assert any(c.get("outputs") for c in code), f"{nb.name} has no saved outputs: run `make course` before committing"


@functools.cache
def preprocess() -> subprocess.CompletedProcess:
    "Run nbdev's pre-processing (nbdev_docs before `quarto render`, see tools/proc_nbs.py) once: notebooks into _proc/."
    return subprocess.run([sys.executable, "tools/proc_nbs.py"], cwd=ROOT, capture_output=True, text=True)


def test_nbdev_preprocessing_succeeds():
    "nbdev's pre-processing succeeds on every notebook."
    r = preprocess()
    assert r.returncode == 0, r.stdout + r.stderr
    proc = ROOT / "_proc"
    for nb in NOTEBOOKS: assert (proc / nb.name).exists(), f"nbdev_proc_nbs did not produce _proc/{nb.name}"
    assert (proc / "_quarto.yml").exists() and (proc / "sidebar.yml").exists()


def doc_anchor(heading: str, private_filter: bool) -> str:
    "The anchor Quarto gives a show_doc heading (a name like `VAE.loss` or `_draw`): Pandoc's identifier, lower case and from the first letter on, unless nbs/private_anchors.lua keeps the underscore."
    return heading.lower() if private_filter or not heading.startswith("_") else heading.lower().lstrip("_0123456789.")


def test_doc_links_point_at_documented_names():
    "Without Quarto: every link nbdev makes from a name in backticks leads to that name's documentation on its page."
    assert preprocess().returncode == 0, "nbdev's pre-processing failed (see test_nbdev_preprocessing_succeeds)"
    quarto = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    private_filter = "private_anchors.lua" in quarto["format"]["html"].get("filters", [])
    anchors, links = {}, []                               # page -> anchors of its show_doc headings; (page, link)
    for nb in NOTEBOOKS:
        page, cells = output_file(nb), read(ROOT / "_proc" / nb.name).cells   # as nbdev processed it: links added
        anchors[page] = set()
        for c in cells:
            texts = [c.source] if c.cell_type == "markdown" else []
            for o in c.get("outputs", []):
                md = o.get("data", {}).get("text/markdown")
                if md: texts.append(md if isinstance(md, str) else "".join(md))
            for t in texts:
                links += [(page, m) for m in re.findall(re.escape(SITE_URL) + r"([^)\s\"'#]+\.html#[^)\s\"']+)", t)]
                if c.cell_type == "code":                 # show_doc's output: "### Name" over the signature
                    anchors[page] |= {doc_anchor(h, private_filter) for h in re.findall(r"^#{2,4} ([\w.]+)\s*$", t, re.M)}
    assert links and sum(map(len, anchors.values())) > 50, "no doc links or no show_doc headings found: the parser is broken"
    bad = sorted({f"{page}: link to {target}" for page, target in links
                  if target.split("#")[1] not in anchors.get(target.split("#")[0], set())})
    assert not bad, f"{len(bad)} links to documentation that is not on its page (show_doc the name there, or " \
                    "write it without backticks):\n" + "\n".join(bad)


# ---- the rendered site (needs Quarto) ------------------------------------------------------------

QUARTO = shutil.which("quarto")
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
SITE_URL = CFG["doc_host"].rstrip("/") + CFG["doc_baseurl"].rstrip("/") + "/"
REPO_BLOB = CFG["git_url"].rstrip("/") + f"/blob/{CFG['branch']}/"


class Page(HTMLParser):
    "One rendered page: its ids, its links (tag, attribute, value), and its code cells' contents."

    def __init__(self, name: str, text: str):
        super().__init__(convert_charrefs=True)
        self.name, self.text, self.ids, self.refs, self.cells, self._stack = name, text, set(), [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if "id" in a: self.ids.add(a["id"])
        if tag == "a" and a.get("name"): self.ids.add(a["name"])
        for k in ("href", "src"):
            if a.get(k) is not None: self.refs.append((tag, k, a[k], a.get("rel")))
        if tag in ("div", "details"):
            if tag == "div" and "cell" in cls:
                self.cells.append(dict(id=a.get("id", "?"), code=False, folded=False, markdown=False, text=""))
            self._stack.append((tag, cls, len(self.cells) if tag == "div" and "cell" in cls else None))
            open_cells = [i for _, _, i in self._stack if i is not None]
            if open_cells:
                c = self.cells[open_cells[-1] - 1]
                if "cell-code" in cls:
                    c["code"] = True
                    c["folded"] = c["folded"] or any(t == "details" for t, _, _ in self._stack[:-1])
                if "cell-output-markdown" in cls: c["markdown"] = True

    def handle_data(self, data):
        "Keep the start of each code cell's source, to name the cell in a failure."
        code = [i for t, cls, i in self._stack if i is not None]
        if code and any("cell-code" in cls for _, cls, _ in self._stack):
            c = self.cells[code[-1] - 1]
            if len(c["text"]) < 200: c["text"] += data

    def handle_endtag(self, tag):
        if tag in ("div", "details"):
            for i in range(len(self._stack) - 1, -1, -1):
                if self._stack[i][0] == tag: del self._stack[i]; break


def output_file(nb: Path) -> str:
    "The page nbdev renders a notebook to: `output-file` of its front matter (nbdev sets it), else its stem."
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor
    fm = getattr(NBProcessor(str(nb), procs=FrontmatterProc, process=True).nb, "frontmatter_", {})
    return fm.get("output-file") or nb.with_suffix(".html").name


def module_of(nb: Path) -> str | None:
    "The module a notebook exports (`#| default_exp`), or None."
    for c in read(nb).cells:
        m = c.cell_type == "code" and re.search(r"^#\|\s*default_exp\s+(\S+)", c.source, re.M)
        if m: return m.group(1)
    return None


_RENDERED: dict = {}   # one render per session, even when it fails (pytest would retry it for every test)


def render() -> dict:
    "Render the site with nbdev_docs, as `make docs` does: {'error': why} or {'seconds': s}."
    readme = (ROOT / "README.md").read_bytes()
    nbdev_docs = Path(sys.executable).with_name("nbdev_docs")
    t = time.monotonic()
    r = subprocess.run([str(nbdev_docs) if nbdev_docs.exists() else "nbdev_docs"], cwd=ROOT,
                       capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - t
    if r.returncode != 0:
        out = r.stdout + r.stderr
        causes = sorted(set(re.findall(r"^(?:\w+(?:Error|Exception)|Exception): .*$", out, re.M)))
        return dict(error="nbdev_docs failed: " + "\n".join(causes) + "\n--- last lines ---\n" + out[-3000:])
    if (ROOT / "README.md").read_bytes() != readme:
        (ROOT / "README.md").write_bytes(readme)
        return dict(error="nbdev_docs rewrote the hand-written README.md (restored it): check settings.ini's readme_nb")
    print(f"\nnbdev_docs rendered the site in {seconds:.0f} s")
    return dict(seconds=seconds)


@pytest.fixture(scope="module")
def site():
    "The rendered site: every page of _docs/, parsed."
    if QUARTO is None:
        pytest.skip("Quarto is not on PATH (https://quarto.org/docs/get-started/; not pip-installable): "
                    "the rendered-site checks need it")
    docs = ROOT / CFG["doc_path"]
    if not _RENDERED:
        reuse = os.environ.get("VAE_COURSE_SITE_REUSE") and (docs / "index.html").exists()
        _RENDERED.update(dict(seconds=None) if reuse else render())
    if "error" in _RENDERED: pytest.fail(_RENDERED["error"], pytrace=False)
    pages = {p.name: Page(p.name, p.read_text(encoding="utf-8")) for p in sorted(docs.glob("*.html"))}
    return dict(docs=docs, pages=pages, seconds=_RENDERED["seconds"])


def test_every_notebook_has_its_page(site):
    for nb in NOTEBOOKS:
        page = site["pages"].get(output_file(nb))
        assert page is not None, f"{nb.name}: no page {output_file(nb)} in the rendered site"
        title = read(nb).cells[0].source.splitlines()[0][2:].strip()
        m = re.search(r'<h1 class="title">(.*?)</h1>', page.text, re.S)
        shown = re.sub(r"<[^>]+>", "", html.unescape(m.group(1))).strip() if m else None
        plain = lambda t: t.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
        assert shown and plain(shown) == plain(title), f"{page.name}: its title is {shown!r}, not {title!r}"


def resolve(site, page: Page, ref: str):
    "(file, fragment) of a link within the site, or None for an external one."
    if ref.startswith(SITE_URL): ref = ref[len(SITE_URL):] or "index.html"   # nbdev's doc links are absolute
    u = urlsplit(ref)
    if u.scheme or ref.startswith("//"): return None
    target = (site["docs"] / Path(page.name).parent / unquote(u.path)) if u.path else site["docs"] / page.name
    if target.is_dir(): target = target / "index.html"
    return target, unquote(u.fragment)


def test_every_internal_link_and_anchor_resolves(site):
    bad = []
    for page in site["pages"].values():
        for tag, attr, ref, rel in page.refs:
            r = resolve(site, page, ref)
            if r is None: continue
            target, frag = r
            if not target.exists(): bad.append(f"{page.name}: <{tag} {attr}={ref!r}>: no such file"); continue
            if frag and target.suffix == ".html":
                other = site["pages"].get(target.name) if target.parent == site["docs"] else None
                ids = other.ids if other else Page(target.name, target.read_text(encoding="utf-8")).ids
                if frag not in ids: bad.append(f"{page.name}: <{tag} {attr}={ref!r}>: no anchor #{frag} in {target.name}")
    assert not bad, f"{len(bad)} broken internal links:\n" + "\n".join(sorted(set(bad)))


def test_every_image_loads(site):
    bad, n = [], 0
    for page in site["pages"].values():
        for tag, attr, ref, rel in page.refs:
            if not (tag == "img" or (tag == "link" and rel and "icon" in rel)): continue
            n += 1
            if ref.startswith("data:"):
                if len(ref.split(",", 1)[-1]) < 16: bad.append(f"{page.name}: empty inline image")
                continue
            r = resolve(site, page, ref)
            if r is None: bad.append(f"{page.name}: image from outside the site {ref!r} (unreachable offline)"); continue
            if not r[0].is_file() or r[0].stat().st_size == 0: bad.append(f"{page.name}: image {ref!r} missing or empty")
    assert n, "no images at all: the parser is broken"
    assert not bad, "\n".join(bad)


def test_every_page_has_the_favicon_and_the_one_description(site):
    for page in site["pages"].values():
        assert any(tag == "link" and rel and "icon" in rel for tag, _, _, rel in page.refs), f"{page.name}: no favicon"
    m = re.search(r'<meta name="description" content="([^"]*)"', site["pages"]["index.html"].text)
    assert m and html.unescape(m.group(1)) == CFG["description"], "the home page's description is not settings.ini's"


def test_view_source_links_point_at_files_of_the_repository(site):
    "Quarto builds them from repo-url and the page's path: without repo-subdir they miss nbs/ and 404."
    bad, seen = [], 0
    for page in site["pages"].values():
        for tag, attr, ref, rel in page.refs:
            if tag == "a" and ref.startswith(REPO_BLOB):
                seen += 1
                path = ref[len(REPO_BLOB):].split("#")[0]
                if not (ROOT / path).is_file(): bad.append(f"{page.name}: {ref} (no {path} in the repository)")
    assert seen and not bad, "\n".join(bad) or "no View-source links found"


def documented(site) -> dict[str, list[str]]:
    "API entries on the site: nbdev's show_doc renders a heading with the name, then the signature block."
    entry = re.compile(r'<h([2-5])[^>]*>([^<]+)</h\1>\s*<div class="sourceCode"')
    found: dict[str, list[str]] = {}
    for page in site["pages"].values():
        for _, name in entry.findall(page.text): found.setdefault(html.unescape(name).strip(), []).append(page.name)
    return found


def test_every_public_name_is_documented_exactly_once(site):
    """Every function and class of each module's __all__ has one API entry on the site (several show_doc in a cell
    keep only the last); a constant or type alias has one, or is named as `NAME` in the prose."""
    import vae_course
    found, bad = documented(site), []
    pages = {module_of(nb): output_file(nb) for nb in NOTEBOOKS if module_of(nb)}
    for m in sorted(pkgutil.iter_modules(vae_course.__path__), key=lambda m: m.name):
        if m.name.startswith("_"): continue
        mod = importlib.import_module(f"vae_course.{m.name}")
        source = Path(mod.__file__).read_text()
        for name in getattr(mod, "__all__", []):
            if not re.search(rf"^(?:(?:async\s+)?def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*[:=]", source, re.M):
                continue  # a re-export: its defining module answers for it
            where = found.get(name, [])
            obj = getattr(mod, name)
            if not where and not (inspect.isfunction(obj) or inspect.isclass(obj)) and any(
                    f"<code>{name}</code>" in page.text for page in site["pages"].values()):
                continue  # a constant or alias, explained in the prose (show_doc would print its type's docstring)
            if len(where) > 1: bad.append(f"vae_course.{m.name}.{name}: documented {len(where)} times ({', '.join(where)})")
            elif not where:
                bad.append(f"vae_course.{m.name}.{name}: not documented (no show_doc entry, no `{name}` in prose"
                           + (f" on {pages[m.name]})" if m.name in pages else "; no notebook exports this module)"))
    assert not bad, f"{len(bad)} public names not documented exactly once (one `show_doc(obj)` per cell; a constant " \
                    f"or alias: say in the prose what `NAME` is):\n" + "\n".join(bad)


def test_generated_prose_shows_no_code(site):
    "A cell whose output is Markdown (a sentence computed in Python) is prose: its code is hidden (#| echo: false)."
    first = lambda c: next((l for l in c["text"].splitlines() if l.strip() and not l.startswith("#|")), "")[:70]
    bad = [f"{p.name}: the cell starting {first(c)!r} shows its code above its Markdown output" for p in site["pages"].values()
           for c in p.cells if c["markdown"] and c["code"] and not c["folded"]]
    assert not bad, f"{len(bad)} cells (add `#| echo: false` to each):\n" + "\n".join(bad)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install -y chromium)")
def test_site_explorer_draws(site):
    "The 07 page's explorer, served over http as the published site is, draws non-blank canvases in Chromium."
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        pytest.skip(f"Playwright is not installed (pip install playwright): {e}")
    nb = next(p for p in NOTEBOOKS if p.name.startswith("07_"))
    handler = functools.partial(Quiet, directory=str(site["docs"]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors, missing = [], []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("response", lambda r: missing.append(r.url) if r.status >= 400 and "127.0.0.1" in r.url else None)
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())  # offline, and fast
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{output_file(nb)}", wait_until="load")
            page.wait_for_selector(".vae-explorer-live canvas", timeout=20000)
            page.wait_for_timeout(500)
            stats = page.evaluate("""() => Array.from(document.querySelectorAll('.vae-explorer-live canvas')).map(c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let lo = 255, hi = 0;
                for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
                return {cls: c.className, w: c.width, h: c.height, lo: lo, hi: hi};
            })""")
            n_live = page.locator(".vae-explorer-live").count()
            n_all = page.locator(".vae-explorer").count()
            browser.close()
    finally:
        server.shutdown()
    assert not errors, f"JavaScript errors on {output_file(nb)}: {errors}"
    assert not missing, f"requests that failed on {output_file(nb)}: {missing}"
    assert n_all and n_live == n_all, f"{n_live} of {n_all} explorers came alive"
    blank = [s for s in stats if s["w"] == 0 or s["hi"] - s["lo"] < 32]
    assert stats and not blank, f"blank canvases: {blank}"
