"""A test-only stand-in for the sync server's HIS and terminal APIs (real HTTP on 127.0.0.1).

The real terminal upload endpoint belongs to sync_server (issue 4/7, another engineer). Until it
serves the wire contract of docs/EMERGENCY.md, the terminal side is tested against this small
server, which implements exactly that contract: HIS issuing (idempotent on busNo), heartbeat,
catalog, emergency stock out/return, and ``uploadEmergencyEBill`` verifying the SM2 signature and
the hash chain (batches of ``uploadEmergencyBills``, one result per bill), UNIQUE on the idempotency key and on (billBatchCode, billNo), with conflicts for
a busNo that already has an online bill. Every upload call is logged so tests can count them.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from billing_core import envelope
from billing_core.bills import validate_request
from billing_core.errors import BillingError
from workflows.emergency import chain

ONLINE_BATCH = "42060126"
EMERGENCY_BATCH = "42060126"


@dataclass
class StandInState:
    """Everything the stand-in remembers (tests read it directly)."""

    keys: dict[str, str] = field(default_factory=dict)  # appid -> key
    public_keys: dict[str, str] = field(default_factory=dict)  # appid -> SM2 public key hex
    online: dict[str, dict[str, Any]] = field(default_factory=dict)  # busNo -> answer
    next_online: int = 1
    next_block: int = 9_000_000
    blocks: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    revoked: list[dict[str, str]] = field(default_factory=list)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # idem key -> payload
    numbers: dict[tuple[str, str], str] = field(default_factory=dict)  # (code, no) -> idem key
    upload_calls: list[str] = field(default_factory=list)  # idem keys in arrival order
    chain_heads: dict[str, str] = field(default_factory=dict)  # terminal -> last hash
    emergency_bus: dict[str, str] = field(default_factory=dict)  # busNo -> idem key of the kept bill
    catalog: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    registrations: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class StandInServer:
    """Start with ``StandInServer().start()``; ``stop()``/``start()`` keep the same port."""

    def __init__(self) -> None:
        self.state = StandInState()
        self.port = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def register(self, appid: str, key: str, public_key_hex: str) -> None:
        """Register a terminal caller with its SM2 public key."""
        self.state.keys[appid] = key
        self.state.public_keys[appid] = public_key_hex

    def start(self) -> StandInServer:
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    req = envelope.decode_request(body, state.keys.get)
                except BillingError as exc:
                    self._reply("", "", exc.code, exc.message)
                    return
                method = self.path.rsplit("/", 1)[-1]
                try:
                    result, message = dispatch(state, self.path, method, req.appid, req.data)
                except BillingError as exc:
                    result, message = exc.code, exc.message
                self._reply(req.appid, state.keys[req.appid], result, message)

            def _reply(self, appid: str, key: str, result: str, message: Any) -> None:
                out = envelope.encode_response(appid, key, result, message, noise=secrets.token_hex(8))
                raw = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        ThreadingHTTPServer.allow_reuse_address = True
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


def dispatch(state: StandInState, path: str, method: str, appid: str, data: dict[str, Any]) -> tuple[str, Any]:
    """Answer one decoded request: ``(result, message)``."""
    with state.lock:
        if "/medical-web/api/medical/" in path:
            return _his(state, method, data)
        if "/terminal/api/" not in path:
            return "E5021", f"未知路径{path}"
        if method == "register":
            state.public_keys[appid] = str(data["sm2PublicKey"])
            state.registrations += 1
            return "S0000", {"terminalId": appid, "registered": "20261123090000000"}
        if method == "heartbeat":
            return "S0000", {"revokedBlocks": [r for r in state.revoked if r.get("holder") == appid]}
        if method == "catalog":
            return "S0000", state.catalog
        if method == "emergencyStock":
            count = int(data["count"])
            bgn, end = state.next_block, state.next_block + count - 1
            state.next_block += count
            block = {"billCode": "0301", "billBatchCode": EMERGENCY_BATCH, "billBgnNo": f"{bgn:010d}",
                     "billEndNo": f"{end:010d}", "reserveTime": "20261123090000000", "holder": appid}
            state.blocks.append(block)
            return "S0000", {k: v for k, v in block.items() if k != "holder"}
        if method == "emergencyStockReturn":
            state.returns.append(dict(data))
            return "S0000", "成功"
        if method == "uploadEmergencyBills":
            results = []
            for bill in data["bills"]:
                result, message = _upload(state, appid, bill)
                answer = message if isinstance(message, dict) else {"message": message}
                results.append({"idempotencyKey": bill["idempotencyKey"], "result": result, **answer})
            return "S0000", {"results": results}
        return "E2004", f"未知方法{method}"


def _his(state: StandInState, method: str, data: dict[str, Any]) -> tuple[str, Any]:
    if method == "getEBillByBusNo":
        found = state.online.get(str(data.get("busNo")))
        return ("S0000", found) if found else ("E3002", "未找到该业务流水号的票据")
    bill = validate_request(method, data)
    bus_no = str(bill["busNo"])
    if bus_no in state.emergency_bus:  # the server already holds an emergency bill for it
        return "S0000", {**{k: state.uploads[state.emergency_bus[bus_no]][k]
                            for k in ("billBatchCode", "billNo", "random")}, "createTime": "20261123090000000"}
    if bus_no not in state.online:
        no = state.next_online
        state.next_online += 1
        state.online[bus_no] = {"billBatchCode": ONLINE_BATCH, "billNo": f"{no:010d}", "random": secrets.token_hex(3),
                                "createTime": "20261123090000000", "billQRCode": "", "pictureUrl": ""}
    return "S0000", state.online[bus_no]


def _upload(state: StandInState, appid: str, data: dict[str, Any]) -> tuple[str, Any]:
    key = str(data["idempotencyKey"])
    state.upload_calls.append(key)
    if key in state.uploads:
        return "S0000", {"status": "duplicate", "billBatchCode": data["billBatchCode"], "billNo": data["billNo"]}
    if appid not in state.public_keys:
        return "E5032", "终端未登记SM2公钥"
    if not chain.verify(state.public_keys[appid], data["bill"], data["signValue"]):
        return "E4101", "应急票据签名验证失败"
    record = chain.link_record(data["bill"], bill_batch_code=data["billBatchCode"], bill_no=data["billNo"],
                               random=data["random"], issue_time=data["issueTime"], terminal_id=data["terminalId"],
                               sign_value=data["signValue"])
    if chain.link(data["prevHash"], record) != data["hash"]:
        return "E4102", "应急票据哈希链校验失败"
    head = state.chain_heads.get(appid)
    seed = data.get("chainSeed")
    expected = chain.online_seed(seed) if seed else (head or chain.genesis(data["terminalId"]))
    if data["prevHash"] != expected:
        return "E4103", "应急票据哈希链不连续"
    number = (str(data["billBatchCode"]), str(data["billNo"]))
    if number in state.numbers:
        return "E4104", "应急票据号码已被使用"
    state.uploads[key] = dict(data)
    state.numbers[number] = key
    state.chain_heads[appid] = data["hash"]
    bus_no = str(data["bill"]["busNo"])
    if bus_no in state.online:
        return "S0000", {"status": "conflict", "message": "该业务流水号已有票据，应急票号作废",
                         "existing": state.online[bus_no]}
    if bus_no in state.emergency_bus:
        return "S0000", {"status": "conflict", "message": "该业务流水号已有应急票据，本应急票号作废",
                         "existing": state.uploads[state.emergency_bus[bus_no]]["billNo"]}
    state.emergency_bus[bus_no] = key
    return "S0000", {"status": "accepted", "billBatchCode": data["billBatchCode"], "billNo": data["billNo"]}
