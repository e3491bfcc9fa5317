"""Plate-recognition accuracy and latency on a labelled image folder.

    .venv/bin/python bench/anpr_accuracy.py /work/shared/data/plates-real [--errors]

DIR/labels.csv has the columns filename,plate,colour (filename relative to DIR, colour may be empty).
Every image is read as a full scene. The cropped-plate figures use the crop the recogniser localised itself
on that scene (the reading's box, widened to the whole plate), so they exist for real photos too and
measure recognize_crop on the kind of crop a camera pushes; scenes where no plate was found have no crop.
With --crops every image is taken to be a plate crop already (e.g. OUT_DIR/crops of make_synthetic_plates).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from hub.integrations.anpr.recognition import PlateReading, create_recognizer, decode_image


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def plate_crop(image: np.ndarray, reading: PlateReading) -> np.ndarray | None:
    """The axis-aligned plate region around the reading's text box, as a camera's plate crop would be."""
    if reading.box is None:
        return None
    box = np.array(reading.box)
    (x0, y0), (x1, y1) = box.min(axis=0), box.max(axis=0)
    dx, dy = 0.08 * (x1 - x0), 0.3 * (y1 - y0)
    h, w = image.shape[:2]
    x0, x1 = int(max(0, x0 - dx)), int(min(w, x1 + dx))
    y0, y1 = int(max(0, y0 - dy)), int(min(h, y1 + dy))
    return image[y0:y1, x0:x1] if x1 - x0 > 8 and y1 - y0 > 8 else None


def describe(reading: PlateReading | None) -> str:
    if reading is None:
        return "nothing"
    review = ", needs review" if reading.needs_review else ""
    return f"{reading.plate} ({reading.colour.value}, confidence {reading.confidence:.2f}{review})"


class Tally:
    def __init__(self, name: str) -> None:
        self.name, self.rows, self.exact, self.char_errors, self.chars = name, 0, 0, 0, 0
        self.colour_rows, self.colour_ok, self.review, self.review_ok_wrong = 0, 0, 0, 0
        self.latency: list[float] = []
        self.cpu: list[float] = []

    def add(
        self, label: str, colour: str, reading: PlateReading | None, seconds: float, cpu_seconds: float
    ) -> bool:
        self.rows += 1
        self.latency.append(seconds)
        self.cpu.append(cpu_seconds)
        got = reading.plate if reading else ""
        ok = got == label
        self.exact += ok
        self.char_errors += min(len(label), edit_distance(got, label))
        self.chars += len(label)
        if colour:
            self.colour_rows += 1
            self.colour_ok += reading is not None and reading.colour.value == colour
        if reading is not None and reading.needs_review:
            self.review += 1
        elif not ok:
            self.review_ok_wrong += 1  # wrong (or nothing) and not flagged for review
        return ok

    def report(self) -> None:
        if not self.rows:
            print(f"{self.name}: no images")
            return
        ms = sorted(1000 * s for s in self.latency)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        cpu = sorted(1000 * s for s in self.cpu)
        colour = (
            f"{self.colour_ok / self.colour_rows:.1%} of {self.colour_rows}" if self.colour_rows else "n/a"
        )
        print(f"{self.name}: {self.rows} images")
        print(f"  exact plate accuracy  {self.exact / self.rows:.1%} ({self.exact}/{self.rows})")
        print(f"  character accuracy    {1 - self.char_errors / max(1, self.chars):.1%}")
        print(f"  colour accuracy       {colour}")
        print(
            f"  needs_review          {self.review / self.rows:.1%}; wrong or missed without review flag: "
            f"{self.review_ok_wrong}"
        )
        print(f"  latency               median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms")
        # CPU time of the process per image (all threads): steadier than wall time on a busy machine.
        print(f"  CPU time              median {statistics.median(cpu):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dir", type=Path)
    parser.add_argument("--crops", action="store_true", help="the images are plate crops, not scenes")
    parser.add_argument("--backend", default="rapidocr")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--limit", type=int, help="only the first N rows")
    parser.add_argument("--errors", action="store_true", help="list every miss (plate, then colour)")
    args = parser.parse_args()

    with (args.dir / "labels.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[: args.limit]
    options = {"threads": args.threads} if args.threads else {}
    started = time.perf_counter()
    recognizer = create_recognizer(args.backend, **options)
    print(f"recogniser {args.backend} loaded in {time.perf_counter() - started:.1f} s")
    # One warm-up call: the first inference allocates the ONNX buffers.
    recognizer.recognize(decode_image((args.dir / rows[0]["filename"]).read_bytes()))

    scene, crop = (
        Tally("crop images" if args.crops else "full scene"),
        Tally("cropped plate (own localisation)"),
    )
    for row in rows:
        image = decode_image((args.dir / row["filename"]).read_bytes())
        label, colour = row["plate"], row.get("colour") or ""
        read = recognizer.recognize_crop if args.crops else recognizer.recognize
        t0, c0 = time.perf_counter(), time.process_time()
        reading = read(image)
        ok = scene.add(label, colour, reading, time.perf_counter() - t0, time.process_time() - c0)
        if args.errors and not ok:
            print(f"  miss {row['filename']}: {label} -> {describe(reading)}")
        elif args.errors and colour and reading is not None and reading.colour.value != colour:
            print(f"  colour miss {row['filename']}: {label} is {colour} -> {describe(reading)}")
        region = None if args.crops or reading is None else plate_crop(image, reading)
        if region is not None:
            t0, c0 = time.perf_counter(), time.process_time()
            crop_reading = recognizer.recognize_crop(region)
            crop_ok = crop.add(
                label, colour, crop_reading, time.perf_counter() - t0, time.process_time() - c0
            )
            if args.errors and not crop_ok:
                print(f"  crop miss {row['filename']}: {label} -> {describe(crop_reading)}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")
    scene.report()
    if not args.crops:
        crop.report()


if __name__ == "__main__":
    main()
