"""Plate-aware decoding of recogniser output.

A plain OCR decoder takes the most likely character in every frame; on plates that confuses 0/D, 8/B, 皖/桂
and happily returns nine characters. Here the CTC frame probabilities are decoded by a Viterbi search that
is only allowed to spell strings of the plate grammar (hub.util.plate): it finds the most probable plate,
not the most probable string. Text-only engines (no frame probabilities) get a smaller rule-based repair.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hub.util.plate import (
    AUTHORITY_LETTERS,
    EMBASSY_PREFIX,
    LETTERS,
    PLATE_PATTERNS,
    normalise_plate,
    validate_plate,
)

# Date and time overlays burnt into camera frames look like plates once forced into plate characters.
_TIMESTAMP = re.compile(
    r"\d{2,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|\d{1,2}\s*[:\uff1a]\s*\d{2}|星期|周[一二三四五六日]"
)
# Position 2 is always a letter: the usual digit misreads of letters.
_DIGIT_TO_LETTER = str.maketrans({"0": "D", "8": "B", "2": "Z", "5": "S", "6": "G", "1": "T"})
_LOOKALIKES = {"0": "O", "1": "I"}  # letters the model may emit for a serial digit (O and I are never used)
_AUTHORITY_O_PRIOR = 0.1  # the O series is rare: a zero-like glyph at position 2 is O only if no letter fits
_NEG = -1e9
_SURE_EMPTY = 0.995
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Decoded:
    """A plate string spelt by the grammar with per-character confidence."""

    plate: str
    char_confidences: tuple[float, ...]
    raw: str  # what an unconstrained decoder read, for logs and disagreement checks
    alternative: Decoded | None = None  # the best read of the other plate length, when one was allowed

    @property
    def confidence(self) -> float:
        """The weakest character decides: one doubtful character makes the whole read doubtful."""
        return min(self.char_confidences, default=0.0)


def looks_like_timestamp(text: str) -> bool:
    return bool(_TIMESTAMP.search(text))


def plausible_text(raw: str) -> bool:
    """Cheap gate before the Viterbi search: a plate line has 4 to 11 letters/digits and is not a clock."""
    alnum = sum(c.isascii() and c.isalnum() for c in raw)
    return 4 <= alnum <= 11 and not looks_like_timestamp(raw)


class _Template:
    """The grammar for one plate length as an index matrix into the plate vocabulary (padded with -1)."""

    def __init__(self, positions: Sequence[frozenset[str]], vocab_index: dict[str, int]) -> None:
        columns = [sorted(vocab_index[c] for c in allowed if c in vocab_index) for allowed in positions]
        width = max(len(c) for c in columns)
        self.index = np.full((len(columns), width), -1, dtype=np.int64)
        for row, cols in enumerate(columns):
            self.index[row, : len(cols)] = cols
        self.valid = self.index >= 0


class PlateDecoder:
    """Grammar-constrained CTC decoding for a recogniser with the given character list (index 0 = blank).

    With `allow_authority_o` the letter O is read at position 2 (the public-security series such as 粤O,
    whose O is drawn like a zero). Those plates are rare, so O only wins where no other letter is plausible,
    and its confidence is scaled down so that such a read always goes to the guard.
    """

    def __init__(self, charset: Sequence[str], *, allow_authority_o: bool = True) -> None:
        char_ids = {c: i for i, c in enumerate(charset) if i > 0}
        letters = AUTHORITY_LETTERS if allow_authority_o else LETTERS
        patterns = [
            tuple(letters if allowed == AUTHORITY_LETTERS else allowed for allowed in p.positions)
            for p in PLATE_PATTERNS
        ]
        self._vocab = sorted({c for p in patterns for allowed in p for c in allowed if c in char_ids})
        vocab_index = {c: i for i, c in enumerate(self._vocab)}
        # Each vocabulary entry sums the probabilities of the model characters that normalise to it. The
        # letter O exists only at position 2, where no digit is allowed, so it may take the zero's share.
        lookalikes = {**_LOOKALIKES, "O": "0"}
        self._sources = [
            [char_ids[c]] + [char_ids[a] for a in lookalikes.get(c, "") if a in char_ids] for c in self._vocab
        ]
        self._prior = np.array([_AUTHORITY_O_PRIOR if c == "O" else 1.0 for c in self._vocab])
        self._used = np.array(sorted({i for src in self._sources for i in src}), dtype=np.int64)
        self._charset = list(charset)
        # One template per (length, first class): positions are united over the patterns sharing them, and
        # the result is checked against the real patterns afterwards.
        grouped: dict[tuple[int, bool], list[tuple[frozenset[str], ...]]] = {}
        for p in patterns:
            grouped.setdefault((len(p), EMBASSY_PREFIX in p[0]), []).append(p)
        self._templates = {
            key: (
                _Template([frozenset().union(*column) for column in zip(*group, strict=True)], vocab_index),
                [_Template(p, vocab_index) for p in group] if len(group) > 1 else [],
            )
            for key, group in grouped.items()
        }
        self._embassy_id = vocab_index.get(EMBASSY_PREFIX)

    def greedy(self, probs: np.ndarray) -> str:
        """The unconstrained best-path text (what a plain OCR decoder returns)."""
        best = probs.argmax(axis=1)
        keep = (best != 0) & np.concatenate(([True], best[1:] != best[:-1]))
        return "".join(self._charset[i] for i in best[keep])

    def decode(self, probs: np.ndarray, lengths: Sequence[int] = (7, 8)) -> Decoded | None:
        """Most probable valid plate for CTC probabilities of shape (frames, charset), or None if no plate.

        `lengths` limits the plate lengths; the best read of the other allowed length, if any, is kept in
        `Decoded.alternative` (a two-row plate, which has 7 characters, falls back on it).
        """
        raw = self.greedy(probs)
        if not plausible_text(raw):
            return None
        alnum = sum(c.isascii() and c.isalnum() for c in raw)
        plate_probs = np.stack([probs[:, src].sum(axis=1) for src in self._sources], axis=1) * self._prior
        # Everything that is not a plate character (blank, separator dot, border, stray text) is "no char".
        other = np.clip(1.0 - probs[:, self._used].sum(axis=1), _EPS, 1.0)
        # Runs of sure "no character" frames carry no information beyond one frame (which still separates
        # two equal characters): keep the first of each run, it makes the search several times shorter.
        empty = other > _SURE_EMPTY
        keep = ~empty | ~np.concatenate(([False], empty[:-1]))
        plate_probs, other = plate_probs[keep], other[keep]
        best: dict[int, tuple[float, str, tuple[float, ...]]] = {}
        for (length, embassy), (united, parts) in self._templates.items():
            if length not in lengths:
                continue
            if embassy and (self._embassy_id is None or plate_probs[:, self._embassy_id].max() < 0.05):
                continue  # the embassy template only runs when 使 is plausibly there
            if len(other) < length or (length == 8 and alnum < 7):
                continue  # new-energy only when the plain read saw its seven letters and digits
            # The united template is exact whenever its best string is a real plate; when it spells a mix of
            # two patterns, fall back to the patterns one by one.
            for template in [united, *parts]:
                score, chars, confs = _viterbi(template, plate_probs, other)
                plate = "".join(self._vocab[c] for c in chars)
                if validate_plate(plate) is not None:
                    continue
                if length not in best or score > best[length][0]:
                    best[length] = (score, plate, confs)
                if template is united:
                    break
        if not best:
            return None
        ranked = sorted(best.values(), key=lambda b: -b[0])
        alternative = Decoded(ranked[1][1], ranked[1][2], raw) if len(ranked) > 1 else None
        return Decoded(ranked[0][1], ranked[0][2], raw, alternative)


def _viterbi(
    template: _Template, plate_probs: np.ndarray, other: np.ndarray
) -> tuple[float, list[int], tuple[float, ...]]:
    """Best CTC alignment of a fixed-length template: returns log score, vocabulary ids, per-char confidence.

    States are (position, character) and "no character after position k". Paths are carried forward
    (positions <= 8) rather than back-tracked, which keeps the loop to a few array operations per frame.
    """
    index, valid = template.index, template.valid
    n, m = index.shape
    rows = np.arange(n)
    emit_p = np.where(valid[None], plate_probs[:, np.maximum(index, 0)], 0.0)  # (T, n, m)
    emit = np.log(np.maximum(emit_p, _EPS)) + np.where(valid, 0.0, _NEG)[None]
    log_other = np.log(other)

    char_score = np.full((n, m), _NEG)
    char_path = np.full((n, m, n), -1, dtype=np.int64)
    char_conf = np.zeros((n, m, n))
    gap_score = np.full(n + 1, _NEG)
    gap_score[0] = 0.0
    gap_path = np.full((n + 1, n), -1, dtype=np.int64)
    gap_conf = np.zeros((n + 1, n))
    own = (rows[:, None], np.arange(m)[None, :], rows[:, None])

    for t in range(len(plate_probs)):
        # Best and second best character of each position (CTC needs a blank between equal characters).
        arg1 = char_score.argmax(axis=1)
        top1 = char_score[rows, arg1]
        masked = char_score.copy()
        masked[rows, arg1] = _NEG
        arg2 = masked.argmax(axis=1)
        top2 = masked[rows, arg2]
        same = index[1:] == index[rows[:-1], arg1[:-1]][:, None]
        prev_arg = np.vstack(
            [np.zeros((1, m), dtype=np.int64), np.where(same, arg2[:-1, None], arg1[:-1, None])]
        )
        from_prev = np.vstack([np.full((1, m), _NEG), np.where(same, top2[:-1, None], top1[:-1, None])])
        from_gap = np.broadcast_to(gap_score[:n, None], (n, m))
        choice = np.argmax(np.stack([char_score, from_gap, from_prev]), axis=0)  # 0 stay, 1 gap, 2 prev
        new_score = np.choose(choice, [char_score, from_gap, from_prev]) + emit[t]
        prev_path = char_path[np.maximum(rows - 1, 0)[:, None], prev_arg]
        prev_conf = char_conf[np.maximum(rows - 1, 0)[:, None], prev_arg]
        pick = choice[..., None]
        new_path = np.where(pick == 0, char_path, np.where(pick == 1, gap_path[:n, None], prev_path))
        new_conf = np.where(pick == 0, char_conf, np.where(pick == 1, gap_conf[:n, None], prev_conf))
        new_path[own] = index
        new_conf[own] = np.where(choice == 0, np.maximum(char_conf[own], emit_p[t]), emit_p[t])

        # Gap after position k: stay in the gap or leave the best character of position k.
        leave = top1 > gap_score[1:]
        new_gap = np.concatenate(([gap_score[0]], np.maximum(gap_score[1:], top1))) + log_other[t]
        new_gap_path = gap_path.copy()
        new_gap_path[1:][leave] = char_path[rows, arg1][leave]
        new_gap_conf = gap_conf.copy()
        new_gap_conf[1:][leave] = char_conf[rows, arg1][leave]

        char_score, char_path, char_conf = new_score, new_path, new_conf
        gap_score, gap_path, gap_conf = new_gap, new_gap_path, new_gap_conf

    last = int(char_score[n - 1].argmax())
    if char_score[n - 1, last] > gap_score[n]:
        return float(char_score[n - 1, last]), char_path[n - 1, last].tolist(), tuple(char_conf[n - 1, last])
    return float(gap_score[n]), gap_path[n].tolist(), tuple(gap_conf[n])


def decode_text(text: str, confidence: float) -> Decoded | None:
    """Repair a plain text read by the plate rules (engines that give no per-frame probabilities)."""
    if not plausible_text(text):
        return None
    plate = normalise_plate(text)
    plate = plate[:1] + plate[1:2].translate(_DIGIT_TO_LETTER) + plate[2:]
    if validate_plate(plate) is not None:
        return None
    return Decoded(plate, (confidence,) * len(plate), text)
