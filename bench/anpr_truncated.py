"""Plates read from truncated camera JPEGs: the real photos cut by 10, 20 and 30% of their bytes.

Prints, per cut, how many photos still decode, how many read the same plate as the whole photo, how many
read the labelled plate, and how many lose the plate. Counted over the JPEGs (cameras send JPEG); the set's
PNG files (named .jpg) are listed apart: a cut PNG is not decoded. Usage:
.venv/bin/python bench/anpr_truncated.py
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.integrations.anpr.recognition import create_recognizer, decode_image_part

PHOTOS = Path("/work/shared/data/plates-real")
CUTS = (0.0, 0.1, 0.2, 0.3)


def main() -> None:
    with (PHOTOS / "labels.csv").open(encoding="utf-8") as f:
        every = list(csv.DictReader(f))
    rows = [r for r in every if (PHOTOS / r["filename"]).read_bytes()[:2] == b"\xff\xd8"]
    recognizer = create_recognizer()
    whole: dict[str, str | None] = {}
    print(f"{len(rows)} JPEGs of {len(every)} photos from {PHOTOS} (the others are PNG)")
    print("cut   decoded  mean share  same as whole  labelled plate  no plate  other, unflagged  ms/photo")
    for cut in CUTS:
        decoded = same = right = lost = unflagged = 0
        shares: list[float] = []
        started = time.perf_counter()
        for row in rows:
            data = (PHOTOS / row["filename"]).read_bytes()
            data = data[: int(len(data) * (1 - cut))]
            try:
                image, share = decode_image_part(data)
            except ValueError:
                lost += 1
                continue
            decoded += 1
            shares.append(share)
            reading = recognizer.recognize(image)
            plate = reading.plate if reading else None
            if cut == 0:
                whole[row["filename"]] = plate
            same += plate == whole.get(row["filename"])
            right += plate == row["plate"]
            lost += plate is None
            # A plate other than the whole photo's that no guard is asked about: a false ledger record.
            other = reading is not None and reading.plate != whole.get(row["filename"])
            unflagged += bool(other and reading and not reading.needs_review)
        ms = (time.perf_counter() - started) * 1000 / len(rows)
        mean = sum(shares) / len(shares) if shares else 0.0
        print(
            f"{cut:>4.0%}  {decoded:>7}  {mean:>10.0%}  {same:>13}  {right:>14}  {lost:>8}  {unflagged:>16}"
            f"  {ms:>8.0f}"
        )


if __name__ == "__main__":
    main()
