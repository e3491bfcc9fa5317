"""Plate grammar: normalisation and validation, table-driven, no I/O."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hub.util.plate import PlateColour, is_new_energy, normalise_plate, plate_kind, validate_plate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("京A88731", "京A88731"),
        ("京a·88731", "京A88731"),
        ("粤B-D12345", "粤BD12345"),
        ("沪A.12345", "沪A12345"),
        ("苏 E 2Y256", "苏E2Y256"),
        ("京Ａ８８７３１", "京A88731"),  # full-width letters and digits
        ("浙AO123I", "浙A01231"),  # O and I after position 2 are 0 and 1
        ("粤OA9112", "粤OA9112"),  # O stays as the issuing-authority letter (public-security series)
        ("渝B·3587学", "渝B3587学"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise_plate(text) == expected


@pytest.mark.parametrize(
    ("plate", "colour", "kind"),
    [
        ("京A88731", None, "ordinary"),
        ("川AKQ291", PlateColour.BLUE, "ordinary"),
        ("皖M12288", PlateColour.YELLOW, "ordinary"),
        ("粤BD12345", PlateColour.GREEN, "new_energy_small"),
        ("粤BFA1234", PlateColour.GREEN, "new_energy_small"),
        ("沪A12345D", PlateColour.YELLOW_GREEN, "new_energy_large"),
        ("沪A12345F", PlateColour.GREEN, "new_energy_large"),
        ("渝B3587学", PlateColour.YELLOW, "coach"),
        ("冀A1234挂", PlateColour.YELLOW, "trailer"),
        ("京A1234警", PlateColour.WHITE, "police"),
        ("沪A1234领", PlateColour.BLACK, "consulate"),
        ("粤Z1234港", PlateColour.BLACK, "hong_kong_macau"),
        ("粤Z1234澳", "black", "hong_kong_macau"),
        ("使014578", PlateColour.BLACK, "embassy"),
        ("京A88731", PlateColour.UNKNOWN, "ordinary"),
    ],
)
def test_valid(plate: str, colour: PlateColour | str | None, kind: str) -> None:
    assert validate_plate(plate, colour) is None
    if kind != "ordinary":
        assert plate_kind(plate) == kind


@pytest.mark.parametrize(
    ("plate", "colour", "message"),
    [
        ("京A8873", None, "7 characters"),
        ("京A887312345", None, "7 characters"),
        ("XA88731", None, "province"),
        ("京188731", None, "position 2"),
        ("京A8873I", None, "letter I"),
        ("京A88#31", None, "position 5"),
        ("粤B1234DD", None, "not a new-energy plate"),
        ("粤BD1234A", None, "not a new-energy plate"),
        ("京A88731", PlateColour.GREEN, "cannot be green"),
        ("粤BD12345", PlateColour.BLUE, "cannot be blue"),
        ("渝B3587学", PlateColour.BLUE, "expected yellow"),
        ("京A1234警", PlateColour.BLUE, "expected white"),
        ("京A88731", "purple", "unknown plate colour"),
        ("京A1234港", None, "position 7"),  # only 粤Z carries 港/澳
        ("粤BF1A234", None, "not a new-energy plate"),
        ("使01457A", None, "position 7"),
    ],
)
def test_invalid(plate: str, colour: PlateColour | str | None, message: str) -> None:
    error = validate_plate(plate, colour)
    assert error is not None and message in error, error


@pytest.mark.parametrize(
    ("plate", "expected"),
    [
        ("粤BD12345", True),
        ("沪A12345D", True),
        ("京A88731", False),
        ("粤B1234DD", False),
        ("京A1234警", False),
    ],
)
def test_is_new_energy(plate: str, expected: bool) -> None:
    assert is_new_energy(plate) is expected


def test_grammar_stays_light() -> None:
    # The whole hub imports the grammar: it must not drag OpenCV or numpy in.
    code = "import sys, hub.util.plate; print(sorted(m for m in sys.modules if m in ('cv2', 'numpy')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
