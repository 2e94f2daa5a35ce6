"""Cut the link mid-upload (a TCP proxy that drops connections) and SIGKILL after the server's
answer: the journal is uploaded in order and every bill reaches the server exactly once."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.integration.terminal.helpers import METHOD, Terminal, outpatient, write_config
from tests.rigs.tcp_proxy import TcpProxy

pytestmark = pytest.mark.faults


def _issue_offline(term: Terminal, proxy: TcpProxy, n: int) -> list[dict]:
    term.call("stock_out", count=n + 5, operator="收费员")
    assert term.call("register")["registered"]
    proxy.refuse = True
    proxy.cut()
    out = [term.call("issue", method=METHOD, request=outpatient(f"CUT-{i}"))["outcome"] for i in range(n)]
    assert {o["mode"] for o in out} == {"emergency"}
    proxy.refuse = False
    term.link_back()
    return out



def test_cut_link_mid_upload_resumes_without_duplicates(tmp_path: Path, server, terminal_key) -> None:
    with TcpProxy(("127.0.0.1", server.port)) as proxy:
        # One bill per request, so the proxy can cut between two bills.
        term = Terminal(write_config(tmp_path / "t", f"http://127.0.0.1:{proxy.port}", private_key=terminal_key,
                                     upload_batch_size=1))
        try:
            bills = _issue_offline(term, proxy, 6)
            seen = proxy.requests_seen
            proxy.drop_reply_of = seen + 3  # the 3rd upload reaches the server, its answer is lost
            first = term.call("upload")
            assert first["accepted"] == 2 and first["remaining"] == 4 and first["stopped"]
            term.link_back()
            proxy.drop_after_requests = proxy.requests_seen + 1  # next run: one request, then the link dies
            second = term.call("upload")
            assert second["remaining"] > 0
            proxy.drop_after_requests = None
            term.link_back()
            third = term.call("upload")
            assert third["remaining"] == 0
            runs = (first, second, third)
            # The bill whose answer was lost is answered "already have it" on the re-send.
            assert sum(r["duplicates"] for r in runs) == 1
            assert sum(r["accepted"] for r in runs) == 5
            assert len(server.state.uploads) == 6  # exactly once each
            by_no = {p["billNo"]: p for p in server.state.uploads.values()}
            assert {(b["billNo"], b["random"]) for b in bills} == {(k, v["random"]) for k, v in by_no.items()}
            seqs = [server.state.uploads[k]["seq"] for k in dict.fromkeys(server.state.upload_calls)]
            assert seqs == sorted(seqs)  # in journal order
            status = term.call("status")
            assert status["pendingUploads"] == 0
        finally:
            term.stop()


def test_sigkill_after_server_answer_is_resent_once(tmp_path: Path, server, terminal_key) -> None:
    with TcpProxy(("127.0.0.1", server.port)) as proxy:
        cfg = write_config(tmp_path / "t", f"http://127.0.0.1:{proxy.port}", private_key=terminal_key)
        term = Terminal(cfg)
        _issue_offline(term, proxy, 3)
        term.stop()
        doomed = Terminal(cfg, crash_at="upload_answered")
        with pytest.raises(ConnectionError):
            doomed.client.call("upload")
        assert doomed.wait_dead() == -signal.SIGKILL
        term = Terminal(cfg)
        try:
            term.link_back()
            report = term.call("upload")
            # The whole batch the server had stored is re-sent and answered "already have it".
            assert report["remaining"] == 0 and report["duplicates"] == 3 and report["accepted"] == 0
            assert len(server.state.uploads) == 3
        finally:
            term.stop()
