"""The register's refusals read back into their code and values: every sentence it makes, and the plate
and VIN sentences of hub.util it passes on, so a page can word each in its own language."""

from __future__ import annotations

import re

import pytest

from hub.components.vehicles.problems import TEMPLATES, identify, problem
from hub.util.plate import validate_plate
from hub.util.vin import validate_vin


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_every_sentence_reads_back_into_its_code_and_values(code: str) -> None:
    names = dict.fromkeys(re.findall(r"\{(\w+)", TEMPLATES[code]))
    values = {name: f"v{n}·{name}" for n, name in enumerate(names)}
    assert identify(problem(code, **values)) == (code, values)


@pytest.mark.parametrize(
    ("sentence", "code", "values"),
    [
        (validate_plate("冀B12"), "plate_length", {"length": "4", "value": "冀B12"}),
        (validate_plate("AB12345"), "plate_province", {"value": "AB12345", "first": "A"}),
        (validate_vin("LFWADRJF0J00001"), "vin_length", {"length": "15", "value": "LFWADRJF0J00001"}),
        ("Value error, a reason is required (原因必填)", "reason_required", {}),
    ],
)
def test_sentences_made_elsewhere_are_read_too(sentence: str | None, code: str, values: dict) -> None:
    assert sentence is not None and identify(sentence) == (code, values)


def test_a_sentence_of_no_code_is_not_guessed() -> None:
    assert identify("数据库拒绝写入 the database refused the change (locked)") is None
