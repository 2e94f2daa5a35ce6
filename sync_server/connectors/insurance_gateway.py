"""The insurance platform's gateway (spec §1): where a transaction is posted and the ``x-tif-*``
headers that sign it.

* URL styles (§1.1), chosen by configuration: ``single`` (A: one endpoint, ``infno`` in the body
  selects the transaction), ``per_infno`` (B: ``{base}/{infno}``), ``service_path`` (C: one service
  path per transaction, :data:`SERVICE_PATHS`), ``proxy`` (D: a front-end processor adds the
  headers; we post plain JSON to the base URL and send no ``x-tif-*``).
* The Rio/TIF signature (§1.2): ``SHA-256(timestamp + passToken + nonce + timestamp)`` as hex; the
  body is not signed; the timestamp is Unix **seconds**; the gateway allows ±180 s.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping

#: Style A's path under the base URL (Jiangxi, Shanxi, Hunan; Apifox mocks).
SINGLE_PATH = "/fsi/api/rsfComIfsService/callService"

#: Style C: the Hebei service path of each transaction (spec §1.1 C).
SERVICE_PATHS: Mapping[str, str] = {
    "9001": "/fsi/api/signInSignOutService/signIn",
    "9002": "/fsi/api/signInSignOutService/signOut",  # [I] not in the spec's list
    "1101": "/fsi/api/fsiPsnInfoService/queryPsnInfo",
    "2201": "/fsi/api/outpatientDocInfoService/outpatientRregistration",  # the typo is the platform's
    "2204": "/fsi/api/outpatientDocInfoService/outpatientFeeListUp",  # [I] not in the spec's list
    "2206": "/fsi/api/outpatientSettleService/preSettletment",
    "2207": "/fsi/api/outpatientSettleService/saveSettletment",
    "2208": "/fsi/api/outpatientSettleService/cancleSettletment",
    "2301": "/fsi/api/hospFeeDtlService/feeDtlUp",
    "2303": "/fsi/api/hospSettService/preSett",
    "2304": "/fsi/api/hospSettService/settV2",
    "2305": "/fsi/api/hospSettService/settCl",
    "2401": "/fsi/api/hospitalRegisterService/hospitalRegisterSave",
    "2402": "/fsi/api/dscgService/dischargeProcess",
    "2601": "/fsi/api/reverseService/revsMethod",
    "3201": "/fsi/api/ybSettlementStmtService/stmtTotal",
    "3202": "/fsi/api/ybSettlementStmtService/stmtDetail",
    "4101": "/fsi/api/medinfoupload/setllistinfoupld",
    "5203": "/fsi/api/fsiIntegratedQueryService/querySetlInfo",
    "9101": "/fsi/api/fileupload/upload",
    "9102": "/fsi/api/fileupload/download",
}

URL_STYLES = ("single", "per_infno", "service_path", "proxy")


def transaction_url(base_url: str, style: str, infno: str) -> str:
    """The URL a transaction is posted to under ``base_url`` in URL ``style``.

    :raises ValueError: an unknown style, or style C for a transaction without a known path.
    """
    base = base_url.rstrip("/")
    if style == "single":
        return base + SINGLE_PATH
    if style == "per_infno":
        return f"{base}/{infno}"
    if style == "service_path":
        path = SERVICE_PATHS.get(infno)
        if path is None:
            raise ValueError(f"no service path known for infno {infno}")
        return base + path
    if style == "proxy":
        return base
    raise ValueError(f"unknown insurance URL style {style!r} (one of {', '.join(URL_STYLES)})")


def tif_signature(timestamp: str, pass_token: str, nonce: str, *, upper: bool = False) -> str:
    """``SHA-256(timestamp + passToken + nonce + timestamp)`` as hex (UTF-8, no separators)."""
    digest = hashlib.sha256((timestamp + pass_token + nonce + timestamp).encode("utf-8")).hexdigest()
    return digest.upper() if upper else digest


def tif_headers(paasid: str, pass_token: str, now_epoch: float, nonce: str | None = None,
                service_id: str = "") -> dict[str, str]:
    """The four ``x-tif-*`` headers (plus ``x-tif-serviceId`` when given) for one request."""
    timestamp = str(int(now_epoch))
    nonce = nonce or uuid.uuid4().hex
    headers = {
        "x-tif-paasid": paasid,
        "x-tif-timestamp": timestamp,
        "x-tif-nonce": nonce,
        "x-tif-signature": tif_signature(timestamp, pass_token, nonce),
    }
    if service_id:
        headers["x-tif-serviceId"] = service_id
    return headers


def tif_valid(headers: Mapping[str, str], pass_token: str, now_epoch: float, max_skew: float = 180.0) -> bool:
    """True when ``headers`` carry a valid signature within ``max_skew`` seconds (the gateway's
    check, case-insensitive on names and hex; used by tests and by a local front-end)."""
    low = {k.lower(): v for k, v in headers.items()}
    ts, nonce, sig = low.get("x-tif-timestamp"), low.get("x-tif-nonce"), low.get("x-tif-signature")
    if not (low.get("x-tif-paasid") and ts and nonce and sig):
        return False
    try:
        if abs(int(ts) - now_epoch) > max_skew:
            return False
    except ValueError:
        return False
    return hmac.compare_digest(tif_signature(ts, pass_token, nonce), sig.lower())
