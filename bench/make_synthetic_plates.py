"""Write a labelled synthetic plate set for bench/anpr_accuracy.py.

    .venv/bin/python bench/make_synthetic_plates.py OUT_DIR --count 300 --seed 1

OUT_DIR/labels.csv lists full scenes (filename,plate,colour,kind); OUT_DIR/crops/labels.csv the matching
plate crops, for `anpr_accuracy.py OUT_DIR/crops --crops`. Seeds used so far (docs/identification.md):
1 (earlier work), 11 and 12 (issue 21's tuning, 120 each), 2026, 4242 and 9090 (fresh sets of issue 21's
rounds, 300 each; all three have been looked at since): pick a new one for a set nobody has looked at.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from anpr_accuracy import plate_kind  # type: ignore[import-not-found]

from hub.integrations.anpr.synthetic import random_plate, render_plate_crop, render_plate_scene


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--difficulty", choices=("easy", "normal", "hard"), default="normal")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    (args.out_dir / "images").mkdir(parents=True, exist_ok=True)
    (args.out_dir / "crops" / "images").mkdir(parents=True, exist_ok=True)
    scenes, crops = [], []
    for i in range(args.count):
        plate, colour = random_plate(rng)
        two_row = rng.random() < 0.5
        kind = plate_kind(plate, colour.value, two_row=two_row)
        name = f"images/synthetic_{i:04d}.jpg"
        (args.out_dir / name).write_bytes(
            render_plate_scene(plate, colour, rng, difficulty=args.difficulty, two_row=two_row)
        )
        (args.out_dir / "crops" / name).write_bytes(
            render_plate_crop(plate, colour, rng, difficulty=args.difficulty, two_row=two_row)
        )
        scenes.append((name, plate, colour.value, kind))
        crops.append((name, plate, colour.value, kind))
    for folder, rows in ((args.out_dir, scenes), (args.out_dir / "crops", crops)):
        with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(("filename", "plate", "colour", "kind"))
            writer.writerows(rows)
    print(f"wrote {args.count} scenes and {args.count} crops to {args.out_dir}")


if __name__ == "__main__":
    main()
