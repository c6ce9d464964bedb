"""Site checks: everything about the published course that can be checked without rendering it
(Quarto is not installable everywhere): sidebar order, front matter, links, images, captions,
error-free saved outputs, and nbdev's pre-processing."""
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
NOTEBOOKS = sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))
COURSE = [p for p in NOTEBOOKS if p.name != "index.ipynb"]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def read(p: Path):
    return nbformat.read(p, as_version=4)


def test_there_is_a_course():
    assert (NBS / "index.ipynb").exists() and COURSE, "nbs/ must hold index.ipynb and the course notebooks"
    for p in COURSE: assert re.fullmatch(r"\d\d[a-z]?_[a-z0-9_]+\.ipynb", p.name), f"{p.name}: name it NN_topic.ipynb (or NNb_topic.ipynb)"


def test_sidebar_lists_every_notebook_in_order():
    side = yaml.safe_load((NBS / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    entries = [e if isinstance(e, str) else e.get("href") for e in side]
    expected = ["index.ipynb"] + [p.name for p in COURSE]
    assert entries == expected, f"sidebar.yml lists {entries}, expected {expected}"


def test_quarto_config_is_an_nbdev_website():
    q = yaml.safe_load((NBS / "_quarto.yml").read_text())
    assert q["project"]["type"] == "website"
    assert "sidebar.yml" in q["metadata-files"] and "nbdev.yml" in q["metadata-files"]
    assert q["website"]["navbar"]["search"] is True
    assert (NBS / q["format"]["html"]["css"]).exists()


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
    if nb.name != "index.ipynb":
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


def test_nbdev_preprocessing_succeeds():
    "nbdev's pre-processing (nbdev_docs before `quarto render`, see tools/proc_nbs.py) succeeds on every notebook."
    r = subprocess.run([sys.executable, "tools/proc_nbs.py"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    proc = ROOT / "_proc"
    for nb in NOTEBOOKS: assert (proc / nb.name).exists(), f"nbdev_proc_nbs did not produce _proc/{nb.name}"
    assert (proc / "_quarto.yml").exists() and (proc / "sidebar.yml").exists()
