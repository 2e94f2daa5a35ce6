"""The connector itself: logs mask secrets and ID numbers; the CLI runs the simulator alone."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync_server.connectors.errors import PlatformUnreachable
from sync_server.connectors.finance import ALL_METHODS, FinanceClient
from sync_server.connectors.masking import mask_id, mask_sensitive
from tests.integration.finance.conftest import APPID, KEY, make_bill

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def test_logs_never_show_the_key_or_full_id_numbers(sim, caplog: pytest.LogCaptureFixture) -> None:
    client = FinanceClient(sim.api_url, APPID, KEY)
    bill = make_bill(idCardNo="440106199001011234", tel="13800138000")
    with caplog.at_level(logging.DEBUG, logger="sync_server.connectors.finance"):
        client.invoice_ebill_outpatient(bill)
    client.close()
    text = caplog.text
    assert "invoiceEBillOutpatient" in text and bill["busNo"] in text
    for secret in (KEY, "440106199001011234", "13800138000"):
        assert secret not in text
    assert "440***********1234" in text
    assert KEY not in repr(client)


def test_masking_helpers() -> None:
    assert mask_id("440106199001011234") == "440***********1234"
    assert mask_id("1234") == "****"
    masked = mask_sensitive({"key": "k", "bill": [{"tel": "13800138000", "email": "zhang@example.com", "n": 1}]})
    assert masked == {"key": "***", "bill": [{"tel": "138****8000", "email": "z***@example.com", "n": 1}]}


def test_every_issue_method_is_exposed() -> None:
    assert len(ALL_METHODS) == len(set(ALL_METHODS)) == 49  # + 3 extensions in finance_ext = 52


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_command_line_run_seeds_demo_json(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "fin"
    proc = subprocess.Popen([sys.executable, "-m", "simulators.finance", "--host", "127.0.0.1", "--port", str(port),
                             "--data-dir", str(data_dir)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        first_line = proc.stdout.readline() if proc.stdout else ""
        assert f"127.0.0.1:{port}" in first_line
        demo = json.loads((data_dir / "demo.json").read_text(encoding="utf-8"))
        caller = demo["callers"][0]
        assert (caller["appid"], caller["key"]) == ("DEMOHOSP01", "demo-finance-key-2026")
        assert demo["placeCodes"] == ["001", "002", "003", "004", "005"] and demo["paperBillBatchCode"] == "44060126"
        client = FinanceClient(f"http://127.0.0.1:{port}/medical-web/api/medical", caller["appid"], caller["key"])
        assert client.invoice_ebill_outpatient(make_bill(place=demo["placeCodes"][0]))["billNo"]
        client.close()
    finally:
        proc.terminate()
        code = proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        assert code == 0
    client = FinanceClient(f"http://127.0.0.1:{port}/medical-web/api/medical", APPID, KEY, query_retries=0)
    started = time.monotonic()
    with pytest.raises(PlatformUnreachable) as err:
        client.test_server_connect()
    client.close()
    assert not err.value.in_doubt and time.monotonic() - started < 5


def test_http_error_status_is_a_bad_response_in_doubt(sim) -> None:
    from sync_server.connectors.errors import PlatformBadResponse

    wrong_prefix = FinanceClient(f"{sim.url}/no-such-service/api/medical", APPID, KEY, query_retries=0)
    with pytest.raises(PlatformBadResponse) as err:
        wrong_prefix.call("invoiceEBillOutpatient", make_bill())
    wrong_prefix.close()
    assert err.value.in_doubt and err.value.code == "E5003"
