"""Masking of IDs, phones, cards and names on printed documents."""

from __future__ import annotations

import pytest

from print_templates.masking import mask_card_no, mask_id_no, mask_name, mask_phone

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("440106199001011234", "440106********1234"),
        ("44010619700303002X", "440106********002X"),
        ("440106900101123", "440106*****1123"),
        ("AB12345678", "AB******78"),
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_id_numbers_keep_only_head_and_tail(raw: str | None, masked: str) -> None:
    assert mask_id_no(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("13812345678", "138****5678"), ("020-87654321", "020*****4321"), ("87654321", "****4321"), ("123", "***")],
)
def test_phones(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_cards_and_names() -> None:
    assert mask_card_no("440100D156000005") == "************0005"
    assert mask_card_no("1234") == "****"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("王") == "王"


def test_masked_values_never_contain_the_middle_digits() -> None:
    raw = "440106199001011234"
    assert "19900101" not in mask_id_no(raw)
    assert "1234" in mask_id_no(raw)
