#!/usr/bin/env python
"""nbdev's documentation pre-processing (the part of `nbdev_docs` before `quarto render`), without
Quarto. `nbdev_proc_nbs` itself first tries to install Quarto (with sudo) and then pip-installs the
project into whatever `pip` is on PATH; this runs the same steps that follow: regenerate
`nbs/nbdev.yml` from settings.ini, rebuild the doc-link index, process every notebook into `_proc/`.
"""
import sys

from nbdev.doclinks import _build_modidx
from nbdev.quarto import refresh_quarto_yml
from nbdev.serve import proc_nbs


def main() -> int:
    refresh_quarto_yml()
    _build_modidx()
    cache = proc_nbs(n_workers=0, force=True)  # raises on a notebook whose doc cells fail
    nbs = sorted(p.name for p in cache.glob("*.ipynb"))
    print(f"processed {len(nbs)} notebooks into {cache}: {', '.join(nbs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
