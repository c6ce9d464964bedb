#!/usr/bin/env python
"""Fail when the repository is out of sync with itself.

1. every notebook in nbs/ has a Markdown twin in md/ with the same cells (and no twin is orphaned);
2. `nbdev_export` leaves the package `vae_course/` unchanged;
3. `nbdev_clean` leaves the notebooks unchanged.
Fix with `make sync` (jupytext twins), `nbdev_export` and `nbdev_clean`, then commit.
"""
from __future__ import annotations
import hashlib, subprocess, sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
NBS, MD, LIB = ROOT / "nbs", ROOT / "md", ROOT / "vae_course"
BIN = Path(sys.executable).parent


def notebooks() -> list[Path]:
    return sorted(p for p in NBS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and "_proc" not in p.parts)


def cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def check_pairs() -> list[str]:
    errs = []
    nbs = notebooks()
    twins = {MD / p.relative_to(NBS).with_suffix(".md") for p in nbs}
    for p in nbs:
        t = MD / p.relative_to(NBS).with_suffix(".md")
        rel = p.relative_to(ROOT)
        if not t.exists():
            errs.append(f"{rel} has no Markdown twin {t.relative_to(ROOT)}: run `make sync`"); continue
        a, b = cells(jupytext.read(p)), cells(jupytext.read(t))
        if a != b:
            n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            errs.append(f"{rel} and {t.relative_to(ROOT)} differ (first at cell {n}; {len(a)} vs {len(b)} cells): "
                        "edit one, then run `make sync`")
    for t in sorted(MD.rglob("*.md")):
        if t not in twins: errs.append(f"{t.relative_to(ROOT)} has no notebook in nbs/: delete it or create the notebook")
    return errs


def snapshot(paths) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def check_tool(tool: str, files) -> list[str]:
    before = snapshot(files())
    r = subprocess.run([str(BIN / tool)], cwd=ROOT, capture_output=True, text=True)
    if r.returncode: return [f"{tool} failed:\n{r.stdout}{r.stderr}"]
    after = snapshot(files())
    changed = sorted({p for p in before.keys() | after.keys() if before.get(p) != after.get(p)})
    return [f"{tool} changed {p.relative_to(ROOT)}: it was out of sync; review and commit the result" for p in changed]


def main() -> int:
    errs = check_pairs()
    errs += check_tool("nbdev_export", lambda: LIB.rglob("*.py"))
    errs += check_tool("nbdev_clean", notebooks)
    for e in errs: print("OUT OF SYNC:", e)
    if not errs: print(f"in sync: {len(notebooks())} notebooks, their twins, the package and clean notebooks")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
