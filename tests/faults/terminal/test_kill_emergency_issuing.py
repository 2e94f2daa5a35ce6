"""SIGKILL the terminal runtime at each step of emergency issuing, restart, check the invariants.

Steps (fault injection through TERMINAL_CRASH_AT, the process kills itself with SIGKILL there):
``number_taken`` (inside the transaction), ``committed`` (bill committed, nothing printed),
``printing`` (job marked printing, no byte sent), ``printed`` (printer took the job, not yet
recorded). After the restart: no number lost, none used twice, a committed bill is present and
its notice is printed again (marked 补打 when printing had started); the upload then carries
every bill exactly once with its printed number and check code.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.integration.terminal.helpers import METHOD, Terminal, outpatient, write_config


def _next_document(rig):  # type: ignore[no-untyped-def]
    """The next printed job: the rig decodes everything received so far, so clear it after."""
    doc = rig.wait_document(timeout=20.0)
    rig.clear()
    return doc


pytestmark = pytest.mark.faults


@pytest.mark.parametrize("point", ["number_taken", "committed", "printing", "printed"])
def test_sigkill_during_emergency_issuing(point: str, tmp_path: Path, server, escpos_rig, terminal_key) -> None:
    cfg = write_config(tmp_path / "t", server.url, private_key=terminal_key, printer_port=escpos_rig.port)
    term = Terminal(cfg)
    term.call("stock_out", count=10, operator="收费员")
    server.stop()  # outage: every bill below is an emergency bill
    first = term.call("issue", method=METHOD, request=outpatient("K-A"), print=True)["outcome"]
    assert first["mode"] == "emergency"
    _next_document(escpos_rig)
    term.stop()

    doomed = Terminal(cfg, crash_at=point)
    with pytest.raises(ConnectionError):
        doomed.client.call("issue", method=METHOD, request=outpatient("K-B"), print=True)
    assert doomed.wait_dead() == -signal.SIGKILL
    if point == "printed":  # the first copy came out before the kill
        assert "补打" not in _next_document(escpos_rig).text

    term = Terminal(cfg)  # restart: resumes unfinished print jobs before serving
    try:
        journal = term.call("journal")
        numbers = [e["billNo"] for e in journal]
        assert len(numbers) == len(set(numbers))  # none used twice
        resumed = term.call("ping")["resumed"]
        if point == "number_taken":
            assert [e["busNo"] for e in journal] == ["K-A"]  # rolled back: never printed, not issued
            assert resumed == []
        else:
            assert [e["busNo"] for e in journal] == ["K-A", "K-B"]  # committed bill present
            assert [r["ref"] for r in resumed] == ["K-B"] and resumed[0]["printed"]
            assert resumed[0]["reprint"] is (point in ("printing", "printed"))
            doc = _next_document(escpos_rig)
            assert journal[1]["billNo"] in doc.text and "应急票据" in doc.text
            assert ("补打" in doc.text) is (point in ("printing", "printed"))
        assert all(j["state"] == "done" for j in term.call("print_jobs"))
        # The cashier retries the same busNo: the stored bill, never a second number.
        again = term.call("issue", method=METHOD, request=outpatient("K-B"))["outcome"]
        nxt = term.call("issue", method=METHOD, request=outpatient("K-C"))["outcome"]
        assert int(again["billNo"]) == int(first["billNo"]) + 1  # no number lost
        assert int(nxt["billNo"]) == int(again["billNo"]) + 1
        server.start()
        term.link_back()
        report = term.call("upload")
        assert report["remaining"] == 0 and report["accepted"] == 3
        assert sorted(server.state.upload_calls) == sorted(set(server.state.upload_calls))
        assert {p["bill"]["busNo"]: p["billNo"] for p in server.state.uploads.values()} == {
            "K-A": first["billNo"], "K-B": again["billNo"], "K-C": nxt["billNo"]}
    finally:
        term.stop()
