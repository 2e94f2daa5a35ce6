"""The nginx TLS reverse proxy of deploy/nginx (issue 19 §2) with real nginx, a certificate signed
by a CA made in the test, and the server under gunicorn behind it: /health and signed calls over
https from the terminal client that trusts that CA (through a terminal config file), TLS 1.2+
only, and a client that does not trust the CA never talks to the server."""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
import ssl
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.rigs.stack import ROOT, ServerProcess, Simulator
from tests.rigs.tls import Nginx, make_certificates
from workflows.errors import LinkDownError
from workflows.sync_client import SyncClient
from workflows.terminal.builder import sync_client
from workflows.terminal.config_file import load_config

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("tls")
    ca, cert, key = make_certificates(base / "tls")
    sim = Simulator(base / "fin").start()
    server = ServerProcess(base / "srv", sim.url, "--server", "gunicorn", "--processes", "2",
                           env={"SYNC_TRUSTED_PROXIES": "1"}).start()
    nginx = Nginx(base / "nginx", [server.port], cert, key)
    checked = nginx.check()
    assert checked.returncode == 0, checked.stderr
    nginx.start()
    try:
        yield {"base": base, "ca": ca, "server": server, "nginx": nginx, "sim": sim}
    finally:
        nginx.stop()
        server.stop()
        sim.stop()


def test_health_answers_over_tls_through_the_proxy(proxied: dict[str, Any]) -> None:
    reply = requests.get(f"{proxied['nginx'].url}/health", verify=str(proxied["ca"]), timeout=10)
    assert reply.status_code == 200
    assert reply.json()["status"] == "ok" and reply.json()["database"] is True
    assert reply.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_terminal_configured_with_the_ca_makes_signed_calls(proxied: dict[str, Any]) -> None:
    demo, base = proxied["server"].demo, proxied["base"]
    term = next(c for c in demo["callers"] if c["appid"] == "TERM01")
    cfg_file = base / "window.toml"
    cfg_file.write_text(f'[server]\nurl = "{proxied["nginx"].url}"\nappid = "TERM01"\nkey = "{term["key"]}"\n'
                        f'ca_file = "{proxied["ca"]}"\n[window]\nplace_code = "001"\n', encoding="utf-8")
    config = load_config(cfg_file)
    assert not config.demo  # https: no demo mode needed
    sync = sync_client(config)
    beat = sync.heartbeat({"terminalId": "TERM01", "placeCode": "001"})
    assert beat.ok, beat.result
    # an HIS call (issue a bill) with an HIS caller's keys through the same proxy
    his = demo["callers"][0]
    client = SyncClient(proxied["nginx"].url, his["appid"], his["key"], verify=str(proxied["ca"]))
    bill = json.loads((ROOT / "tests" / "fixtures" / "requests" / "outpatient.json").read_text(encoding="utf-8"))
    bill["busNo"] = f"TLS{uuid.uuid4().hex[:16]}"
    answer = client.his("invoiceEBillOutpatient", bill)
    assert answer.ok, (answer.result, answer.message)
    assert answer.payload()["billNo"]
    assert len(proxied["sim"].platform_bills(bill["busNo"])) == 1


def test_a_client_that_does_not_trust_the_ca_is_refused(proxied: dict[str, Any]) -> None:
    term = next(c for c in proxied["server"].demo["callers"] if c["appid"] == "TERM01")
    sync = SyncClient(proxied["nginx"].url, "TERM01", term["key"], failure_threshold=1)  # system CAs only
    with pytest.raises(LinkDownError) as err:
        sync.heartbeat({"terminalId": "TERM01", "placeCode": "001"})
    assert "证书" in err.value.message
    assert not sync.link_up


def _handshake(port: int, ca: Path, version: ssl.TLSVersion) -> str | None:
    ctx = ssl.create_default_context(cafile=str(ca))
    with warnings.catch_warnings():
        # the client offers deprecated versions on purpose: the proxy is the one that must refuse them
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = min(version, ssl.TLSVersion.TLSv1_2)
        ctx.maximum_version = version
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        return tls.version()


def test_tls_1_2_and_up_only(proxied: dict[str, Any]) -> None:
    port, ca = proxied["nginx"].port, proxied["ca"]
    assert _handshake(port, ca, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert _handshake(port, ca, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    with pytest.raises(ssl.SSLError):
        _handshake(port, ca, ssl.TLSVersion.TLSv1_1)


def test_the_server_sees_the_client_address_the_proxy_appended(proxied: dict[str, Any]) -> None:
    # a refused signature from 127.0.0.2 claiming another address: the audit row names the real one
    from billing_core import envelope
    from billing_core.ids import new_noise

    body = envelope.dumps(envelope.encode_request("NOSUCHHIS", "k" * 32, {"busNo": "X"}, noise=new_noise())).encode("utf-8")
    ctx = ssl.create_default_context(cafile=str(proxied["ca"]))
    conn = http.client.HTTPSConnection("127.0.0.1", proxied["nginx"].port, context=ctx, timeout=10,
                                       source_address=("127.0.0.2", 0))
    try:
        conn.request("POST", "/medical-web/api/medical/invoiceEBillOutpatient", body=body,
                     headers={"Content-Type": "application/json", "X-Forwarded-For": "6.6.6.6"})
        assert conn.getresponse().status == 200  # a signed refusal envelope, never an HTML page
    finally:
        conn.close()
    with sqlite3.connect(proxied["server"].data_dir / "sync_server.db", timeout=30) as db:
        rows = [r[0] for r in db.execute("SELECT after_json FROM audit_log WHERE action = 'signature_failed'"
                                         " AND entity_id = 'NOSUCHHIS'")]
    assert rows and json.loads(rows[-1])["remote"] == "127.0.0.2", rows
