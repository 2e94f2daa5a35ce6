"""Keyed digests of personal numbers (issue 18 §1, store/person_digest.py)."""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import create_engine

from sync_server.store.person_digest import CLEAR_KEY, digest, field_of
from sync_server.store.sealing import Sealer, attach, hmac_sm3

pytestmark = pytest.mark.unit


def test_field_of_reads_strings_numbers_and_escapes() -> None:
    text = json.dumps({"payer": "张\\\"三", "idCardNo": "11010119900307123X", "tel": 13912345678,
                       "cardNo": "A\"1"}, ensure_ascii=False)
    assert field_of(text, "idCardNo") == "11010119900307123X"
    assert field_of(text, "tel") == "13912345678"
    assert field_of(text, "cardNo") == 'A"1'
    assert field_of('{"payer": "x"}', "tel") == "" and field_of(None, "tel") == ""


def test_digest_is_keyed_normalised_and_none_for_empty() -> None:
    a, b = create_engine("sqlite://"), create_engine("sqlite://")
    key = secrets.token_bytes(16)
    attach(a, Sealer(key))
    value = "11010119900307123x"
    assert digest(a.dialect, value) == digest(a.dialect, " 11010119900307123X ") == Sealer(key).blind_index(value)
    assert digest(a.dialect, value) != digest(b.dialect, value)  # another key, another digest
    assert digest(b.dialect, value) == hmac_sm3(CLEAR_KEY, b"blind|11010119900307123X")
    assert len(digest(a.dialect, value) or "") == 64 and value.upper() not in (digest(a.dialect, value) or "")
    assert digest(a.dialect, "  ") is None
