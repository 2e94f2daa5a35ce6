"""clock, ids, pagination, qr_payload and printjob layout helpers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from billing_core import printjob as pj
from billing_core.clock import CST, ManualClock, date8, date10, parse_ts17, ts17
from billing_core.ids import BusNoGenerator, new_msgid, new_noise
from billing_core.pagination import NoListError, list_page_count, list_pages
from billing_core.qr_payload import BillQr, QrPayloadError, parse

pytestmark = pytest.mark.unit


def test_timestamps_round_trip_and_reject_impossible_dates() -> None:
    moment = datetime(2026, 11, 23, 9, 5, 7, 123000, tzinfo=CST)
    assert ts17(moment) == "20261123090507123"
    assert parse_ts17("20261123090507123") == moment
    assert (date8(moment), date10(moment)) == ("20261123", "2026-11-23")
    for bad in ("20261323090507123", "2026112309050712", "2026-11-23 09:05"):
        with pytest.raises(ValueError):
            parse_ts17(bad)


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock()
    t0, m0 = clock.now(), clock.monotonic()
    clock.advance(2.5)
    assert (clock.now() - t0).total_seconds() == 2.5 and clock.monotonic() - m0 == 2.5


def test_busno_generator_is_unique_and_fits_s50() -> None:
    gen = BusNoGenerator("OP", node="T07", clock=ManualClock())
    numbers = [gen.next() for _ in range(5000)]
    assert len(set(numbers)) == 5000
    assert all(len(n) <= 50 and n.startswith("OP20261123090000000T07") for n in numbers)


def test_noise_and_msgid_shapes() -> None:
    assert len({new_noise() for _ in range(100)}) == 100
    assert len(new_msgid("H12345678901", ManualClock())) == 30


@pytest.mark.parametrize(("lines", "pages"), [(1, 1), (25, 1), (26, 2), (60, 3), (75, 3), (76, 4)])
def test_list_page_count(lines: int, pages: int) -> None:
    assert list_page_count(lines) == pages
    assert [len(p) for p in list_pages(list(range(lines)))][-1] == lines - 25 * (pages - 1)


def test_a_bill_without_list_has_no_pages() -> None:
    with pytest.raises(NoListError) as err:
        list_page_count(0)
    assert err.value.code == "E3040"


def test_qr_payload_round_trip_and_rejects_foreign_text() -> None:
    qr = BillQr("42060126", "0000014012", "afe91d", Decimal("128.5"), "20261123")
    assert qr.text() == "01,42060126,0000014012,afe91d,128.50,20261123"
    assert parse(qr.text()) == qr
    for bad in ("https://example.com", "01,a,b,c,1.00,2026-11-23", "02,a,b,c,1.00,20261123", "01,a,b,c,x,20261123"):
        with pytest.raises(QrPayloadError):
            parse(bad)


def test_cjk_counts_double_and_wrap_never_overflows() -> None:
    assert pj.text_width("张三ab") == 6
    name = "超长药品名称" * 7
    for cols in (32, 48, 7):
        assert all(pj.text_width(line) <= cols for line in pj.wrap(name, cols))
    row = pj.Row((pj.Column(name, 3), pj.Column("2", 1, "right"), pj.Column("¥12.50", 2, "right")))
    lines = pj.row_lines(row, 32)
    assert len(lines) > 1 and all(pj.text_width(line) <= 32 for line in lines)
    assert lines[0].endswith("¥12.50")
