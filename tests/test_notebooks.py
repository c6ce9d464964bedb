"""Hygiene of the committed notebooks, as JupyterLab and the site see them.

Each test names the defect it guards against:
- a notebook without a kernelspec opens JupyterLab's "Select Kernel" dialog;
- saved ipywidgets state renders as dead, blank widgets on the static site (and bloats the file);
- a control character in Markdown (a `\\t` from a non-raw Python string) breaks LaTeX (`\\text` -> TAB + "ext");
- several `show_doc` calls in one cell show only the last one on the site;
- `record_result(...)` as a cell's last expression echoes its dict into the saved output;
- stale stderr warnings (CUDA probing) saved in outputs are noise a learner cannot act on.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NBS = Path(__file__).resolve().parents[1] / "nbs"
NOTEBOOKS = sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")         # everything below space except \n (\x0a) ... and \t is \x09
STALE = ("No CUDA runtime is found", "CUDA initialization", "UserWarning: Can't initialize NVML")


def load(p: Path) -> dict:
    return json.loads(p.read_text())


def text_of(output: dict, mime: str = "text/markdown") -> str:
    t = output.get("data", {}).get(mime, "") if output.get("output_type") in ("display_data", "execute_result") else ""
    return "".join(t) if isinstance(t, list) else t


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_kernelspec_and_no_widget_state(path):
    meta = load(path)["metadata"]
    assert meta.get("kernelspec", {}).get("name") == "python3", f"{path.name}: no python3 kernelspec (JupyterLab asks 'Select Kernel')"
    assert "widgets" not in meta, f"{path.name}: saved widget state in metadata (renders blank on the site): clear it"
    views = [i for i, c in enumerate(load(path)["cells"]) for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert not views, f"{path.name}: cells {views} saved live-widget outputs (blank on the site): show a static figure instead"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_control_characters_in_markdown(path):
    bad = []
    for i, c in enumerate(load(path)["cells"]):
        src = "".join(c["source"])
        if c["cell_type"] == "markdown" and CONTROL.search(src.replace("\t", "\x01")):
            bad.append(f"cell {i} (markdown source)")
        for o in c.get("outputs", []):
            md = text_of(o)
            if md and CONTROL.search(md.replace("\t", "\x01")): bad.append(f"cell {i} (generated Markdown)")
    assert not bad, f"{path.name}: control characters (a '\\t' in a non-raw string?) in " + ", ".join(bad)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_show_doc_per_cell(path):
    bad = [i for i, c in enumerate(load(path)["cells"])
           if c["cell_type"] == "code" and len(re.findall(r"^\s*show_doc\(", "".join(c["source"]), re.M)) > 1]
    assert not bad, f"{path.name}: cells {bad} call show_doc more than once; the site shows only the last"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_carry_no_echoed_records_or_stale_warnings(path):
    bad = []
    for i, c in enumerate(load(path)["cells"]):
        for o in c.get("outputs", []):
            plain = text_of(o, "text/plain")
            if "'recorded':" in plain: bad.append(f"cell {i}: record_result's dict echoed (end the line with ';')")
            if o.get("output_type") == "stream":
                t = "".join(o.get("text", ""))
                bad += [f"cell {i}: stale warning {s!r}" for s in STALE if s in t]
    assert not bad, f"{path.name}: " + "; ".join(bad)
