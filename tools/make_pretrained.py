#!/usr/bin/env python
"""Make the pretrained models shipped with the package, and the website explorer's decoder files.

For each model in `vae_course.pretrained.PRETRAINED` (default: all), train it with its recipe (notebook
04b's Trainer, seeded, on the CPU), write `vae_course/pretrained/NAME.pt` (weights and config, no
optimiser state), record the command, time, test ELBO and SHA-256 in
`vae_course/pretrained/pretrained.json`, and write `nbs/explorer_NAME.json` (the decoder for the
in-page JavaScript explorer of notebook 07, written by notebook 94's `write_decoder_json` from the
first 2,000 test images binarized as the model is evaluated on them). Needs MNIST ($VAE_COURSE_DATA). `make pretrained` runs it.

Usage: python tools/make_pretrained.py [NAME ...] [--json-only]
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vae_course.explore import eval_images  # noqa: E402
from vae_course.pretrained import (NOTE_FILE, PRETRAINED, load_pretrained, make_pretrained, pretrained_dir,  # noqa: E402
                                   pretrained_note, vae_config)
from vae_course.site import write_decoder_json  # noqa: E402

N_SITE_IMAGES = 2000  # test images whose codes and statistics go into the site's decoder files (notebook 94 checks the same)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(PRETRAINED), help=f"models to make (default: {' '.join(PRETRAINED)})")
    ap.add_argument("--json-only", action="store_true", help="only rewrite nbs/explorer_NAME.json from the shipped weights")
    a = ap.parse_args(argv)
    if bad := [n for n in a.names if n not in PRETRAINED]:
        ap.error(f"unknown model(s) {bad}; available: {', '.join(PRETRAINED)}")
    folder = pretrained_dir()
    folder.mkdir(parents=True, exist_ok=True)
    command = "python tools/make_pretrained.py" + "".join(f" {shlex.quote(s)}" for s in (argv if argv is not None else sys.argv[1:]))
    for name in a.names:
        if not a.json_only:
            t0 = time.perf_counter()
            print(f"training {name}: {PRETRAINED[name]['description']} ...", flush=True)
            note = make_pretrained(name, folder, progress=True)
            note["command"] = command
            notes = pretrained_note(folder)
            notes[name] = note
            (folder / NOTE_FILE).write_text(json.dumps(notes, indent=1, sort_keys=True) + "\n")
            print(f"  {folder / note['file']}: test ELBO {note['test_elbo']:.2f} nats, {note['active_units']} active units, "
                  f"trained in {note['train_seconds']:.0f} s ({time.perf_counter() - t0:.0f} s in all)", flush=True)
        images, labels = eval_images(N_SITE_IMAGES, vae_config(name))        # binarized as the model was trained
        path = write_decoder_json(load_pretrained(name, folder), ROOT / "nbs" / f"explorer_{name}.json", images, labels,
                                  name=name)
        print(f"  {path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.2f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
