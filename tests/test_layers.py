"""The library is layered and acyclic, imports inside functions included.

- plumbing modules (file formats, atomic writes, checkpoints) import no course or front-end module;
- a course module (notebooks 00 ... 07) imports only plumbing and modules of *earlier* notebooks;
- front ends (command line, widgets, site export, pretrained models) may import anything, and no
  course or plumbing module imports them;
- no import cycles.

A module's notebook is read from nbdev's header ("File to edit: ../nbs/NN_name.ipynb"), so course
order is notebook order. Library modules (notebooks 90 and up) must be declared in LIBRARY.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "vae_course"
LIBRARY = {"io": "plumbing", "checkpoints": "plumbing",
           "pretrained": "front end", "widgets": "front end", "site": "front end", "cli": "front end",
           "logs": "front end"}
HEADER = re.compile(r"File to edit: \.\./nbs/(\S+)\.ipynb")


def imported_modules(source: str, package: str = "vae_course") -> set[str]:
    "Names of the package's modules that `source` imports anywhere (module level, functions, classes)."
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == package and len(parts) > 1: found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1:                                     # from .x import y / from . import x
                if node.module: found.add(node.module.split(".")[0])
                else: found.update(a.name for a in node.names)
            elif node.module and node.module.split(".")[0] == package:
                parts = node.module.split(".")
                if len(parts) > 1: found.add(parts[1])
                else: found.update(a.name for a in node.names)      # from vae_course import x
    return found


def modules() -> dict[str, dict]:
    "Every exported module: its notebook, layer and imports."
    out = {}
    for p in sorted(PKG.glob("*.py")):
        if p.stem in ("__init__", "_modidx"): continue
        src = p.read_text()
        m = HEADER.search(src)
        assert m, f"{p.name} has no nbdev header naming its notebook"
        nb = m.group(1)
        number = int(re.match(r"\d+", nb).group())
        layer = "course" if number < 90 else LIBRARY.get(p.stem, "undeclared")
        out[p.stem] = dict(notebook=nb, layer=layer, imports=imported_modules(src) - {p.stem})
    return out


def violations(mods: dict[str, dict]) -> list[str]:
    "Every broken layering rule and every cycle in `mods`."
    errs = []
    for name, m in mods.items():
        if m["layer"] == "undeclared":
            errs.append(f"{name} (notebook {m['notebook']}) is a library module missing from LIBRARY: declare its layer")
        for dep in sorted(m["imports"]):
            if dep not in mods: continue                            # not a module of ours (e.g. a name)
            d = mods[dep]
            if m["layer"] == "plumbing" and d["layer"] != "plumbing":
                errs.append(f"plumbing module {name} imports {d['layer']} module {dep}")
            if m["layer"] == "course":
                if d["layer"] == "front end":
                    errs.append(f"course module {name} ({m['notebook']}) imports front-end module {dep}")
                elif d["layer"] == "course" and d["notebook"] >= m["notebook"]:
                    errs.append(f"course module {name} ({m['notebook']}) imports {dep} of a later notebook ({d['notebook']})")
    graph = {n: [d for d in m["imports"] if d in mods] for n, m in mods.items()}
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for d in graph[n]:
            if state.get(d) == 1: errs.append("import cycle: " + " -> ".join(path[path.index(d):] + [d]) if d in path else f"import cycle through {d}")
            elif d not in state: visit(d, path + [d])
        state[n] = 2

    for n in graph:
        if n not in state: visit(n, [n])
    return errs


def test_every_module_is_layered_and_acyclic():
    mods = modules()
    assert {"data", "train", "iwae", "explore", "io", "checkpoints", "cli"} <= set(mods), sorted(mods)
    assert not violations(mods), "\n".join(violations(mods))


def test_imports_inside_functions_are_seen():
    src = "import torch\nfrom .data import load_split\ndef f():\n    from vae_course.iwae import iwae_loss\n    import vae_course.cli\n"
    assert imported_modules(src) == {"data", "iwae", "cli"}


@pytest.mark.parametrize("module,dep,expect", [
    ("train", "iwae", "imports iwae of a later notebook"),          # a course module reaching forward
    ("models", "cli", "imports front-end module cli"),              # a course module importing a front end
    ("checkpoints", "train", "plumbing module checkpoints imports course module train"),
])
def test_the_checker_catches_violations(module, dep, expect):
    mods = modules()
    mods[module] = dict(mods[module], imports=mods[module]["imports"] | {dep})
    errs = violations(mods)
    assert any(expect in e for e in errs), errs


def test_the_checker_catches_cycles():
    mods = {"a": dict(notebook="90_a", layer="front end", imports={"b"}),
            "b": dict(notebook="91_b", layer="front end", imports={"a"})}
    assert any("import cycle" in e for e in violations(mods))
