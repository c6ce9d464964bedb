#!/usr/bin/env python
"""Per notebook: lines of code (code-cell lines of its Markdown twin in md/) and test calls.

Test calls are counted in code cells: `test_eq(`, `test_close(`, `test_fail(`, `test_ne(`, `test_is(`,
`test_shuffled(`, `test_warns(`, `test_stdout(`, `test_sig(`, `test(` and `assert` statements.
Usage: python tools/course_stats.py [--json]
"""
from __future__ import annotations
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = re.compile(r"\b(test_eq|test_close|test_fail|test_ne|test_is|test_shuffled|test_warns|test_stdout|test_sig|test_eq_type)\(|(?<![\w.])assert\b")
FENCE = re.compile(r"^```\{code-cell\}")


def stats(md: Path) -> dict:
    code, tests, inside = 0, 0, False
    for line in md.read_text().splitlines():
        if not inside and FENCE.match(line): inside = True; continue
        if inside and line.startswith("```"): inside = False; continue
        if inside:
            code += 1
            s = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
            tests += len(TESTS.findall(s))
    return {"code_lines": code, "test_calls": tests}


def main() -> int:
    rows = {p.stem: stats(p) for p in sorted((ROOT / "md").glob("*.md"))}
    if "--json" in sys.argv: print(json.dumps(rows, indent=1)); return 0
    print(f"{'notebook':28s} {'code lines':>10s} {'test calls':>10s}")
    for k, v in rows.items(): print(f"{k:28s} {v['code_lines']:10d} {v['test_calls']:10d}")
    print(f"{'total':28s} {sum(v['code_lines'] for v in rows.values()):10d} {sum(v['test_calls'] for v in rows.values()):10d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
