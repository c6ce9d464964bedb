#!/usr/bin/env python
"""Execute course notebooks in place, in course order, saving their outputs.

Cells flagged `#| slow` are skipped unless `--slow` is given (or SLOW=1 in the environment);
a skipped cell keeps the outputs it already had, so the saved results of a full run survive a
fast re-run. `--slow-cells REGEX` runs only the slow cells whose source matches REGEX (to redo one
measurement after a change it depends on, without re-running the notebook's other long cells).
Usage: python tools/run_notebooks.py [--slow | --slow-cells REGEX] [NOTEBOOK ...]
"""
from __future__ import annotations
import argparse, json, os, re, sys, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
FLAG = re.compile(r"^\s*#\s*\|\s*(.*)$")


def cell_flags(source: str) -> set[str]:
    "The nbdev directives (`#| slow`, `#| export`, ...) at the top of a code cell."
    flags = set()
    for line in source.splitlines():
        m = FLAG.match(line)
        if not m:
            if line.strip(): break
            continue
        flags.update(m.group(1).replace(":", " ").split()[:1])
    return flags


class CourseClient(NotebookClient):
    "An nbclient that skips `#| slow` cells (keeping their old outputs) unless told otherwise."

    def __init__(self, nb, slow: bool = False, slow_cells: str | None = None, **kw):
        super().__init__(nb, **kw)
        self.slow, self.slow_cells = slow, re.compile(slow_cells) if slow_cells else None

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type == "code" and not self.slow and "slow" in cell_flags(cell.source):
            if not (self.slow_cells and self.slow_cells.search(cell.source)): return cell
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)


def course_notebooks() -> list[Path]:
    "Notebooks in course order (00, 01, ...), then index.ipynb, whose results table reads what they recorded."
    nbs = sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))
    return sorted(nbs, key=lambda p: (p.name == "index.ipynb", p.name))


RUN_INFO = NBS / "run_info.json"


def run_record(wall_s: float | None, slow: bool, slow_cells: str | None) -> dict:
    "Provenance of one notebook's run: when, at which commit, which slow cells, how long, on what."
    import platform, subprocess, datetime, torch
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip() or "unknown"
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "vae_course", "md", "tools"], cwd=ROOT,  # the sources:
                                    capture_output=True, text=True).stdout.strip())                        # not nbs/, which runs rewrite
    except OSError: commit, dirty = "unknown", False
    dev = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({os.cpu_count()} cores, {torch.get_num_threads()} torch thread{'s' * (torch.get_num_threads() > 1)})"
    return dict(date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                commit=commit + ("+local changes" if dirty else ""),
                slow="all" if slow else (f"matching {slow_cells}" if slow_cells else "none"),
                device=dev, machine=f"{platform.machine()} {platform.system()}", python=platform.python_version(),
                torch=torch.__version__, wall_s=None if wall_s is None else round(wall_s, 1))


def record_run(stem: str, record: dict) -> None:
    "Merge one notebook's run record into nbs/run_info.json ({'notebooks': {stem: record}}), written atomically."
    info = json.loads(RUN_INFO.read_text()) if RUN_INFO.exists() else {}
    if "wall_s" in info:                                     # the older format: one full run for every notebook
        old = {k: info[k] for k in ("date", "commit", "device", "machine", "python", "torch")}
        info = {"notebooks": {k: dict(old, slow="all" if info["slow"] else "none", wall_s=v) for k, v in info["wall_s"].items()}}
    info.setdefault("notebooks", {})[stem] = record
    tmp = RUN_INFO.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info, indent=1) + "\n"); os.replace(tmp, RUN_INFO)


def run(path: Path, slow: bool, timeout: int, slow_cells: str | None = None) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.time()
    CourseClient(nb, slow=slow, slow_cells=slow_cells, timeout=timeout, kernel_name="python3",
                 resources={"metadata": {"path": str(path.parent)}}).execute()
    nb.metadata.pop("widgets", None)          # saved widget state renders as dead widgets on the static site
    for c in nb.cells:                        # ... and so do saved live-widget views: the notebooks show static figures
        if c.cell_type == "code":
            c.outputs = [o for o in c.outputs if "application/vnd.jupyter.widget-view+json" not in o.get("data", {})]
    nb.metadata["kernelspec"] = {"display_name": "python3", "language": "python", "name": "python3"}
    nbformat.write(nb, path)
    return time.time() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: all, in course order)")
    ap.add_argument("--slow", action="store_true", default=os.environ.get("SLOW", "0") not in ("", "0"),
                    help="also run cells flagged `#| slow` (default: SLOW env var)")
    ap.add_argument("--slow-cells", metavar="REGEX", default=None,
                    help="also run the `#| slow` cells whose source matches REGEX (the other slow cells keep their outputs)")
    ap.add_argument("--timeout", type=int, default=-1, help="per-cell timeout in seconds (-1: none)")
    a = ap.parse_args(argv)
    os.environ.setdefault("VAE_COURSE_QUIET", "1")   # saved outputs carry no progress-bar debris (kernels inherit it)
    paths = a.notebooks or course_notebooks()
    times = {}
    for p in paths:
        if p.name == "index.ipynb":         # the home page shows every notebook's provenance, its own included
            record_run(p.stem, run_record(None, a.slow, a.slow_cells))
        what = "with slow cells" if a.slow else (f"with the slow cells matching {a.slow_cells!r}" if a.slow_cells else "without slow cells")
        print(f"running {p} ({what}) ...", flush=True)
        times[p.stem] = run(p, a.slow, a.timeout, a.slow_cells)
        if p.name != "index.ipynb": record_run(p.stem, run_record(times[p.stem], a.slow, a.slow_cells))
        print(f"  {times[p.stem]:.1f} s", flush=True)
    print(f"ran {len(paths)} notebooks in {sum(times.values()):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
