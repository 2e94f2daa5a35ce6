"""The simulator's ``GET /_sim/visits/<mdtrt_id>`` control view (the visit's state and fee lines;
its positive path is exercised by tests/integration/ward/test_ward_way_back.py)."""

from __future__ import annotations

from flask import Flask


def test_unknown_visit_is_404_with_the_control_code(app: Flask) -> None:
    r = app.test_client().get("/_sim/visits/NOPE")
    assert r.status_code == 404
    assert r.get_json() == {"code": "E3603", "message": "就诊IDNOPE不存在"}
