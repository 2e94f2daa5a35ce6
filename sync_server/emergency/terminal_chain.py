"""The terminal journal's SM2 signatures and SM3 hash chain, as the server checks them.

Same rules as the terminal (workflows/emergency/chain.py, docs/EMERGENCY.md §2), rewritten here
because sync_server may import only billing_core (DESIGN.md §2); the server's integration tests
feed it bills made by the terminal's code, so a divergence fails them.

* ``signValue`` = hex r‖s SM2 signature (SM3withSM2, default user id) of
  ``canonical_bill_bytes(bill)`` with the key the terminal registered;
* ``hash = sm3_hex(prevHash + canonical_bill_bytes(record))``, ``record`` binding the bill's
  digest to number, check code, issue time, terminal, signature and busNo;
* the chain starts from ``sm3_hex("GENESIS|<terminalId>")`` or restarts from
  ``sm3_hex("ONLINE|code|no|random|createTime")`` of one of the terminal's online bills
  (fiskaly's rule: the offline chain hangs off the last online signature).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing_core.bills import canonical_bill_bytes
from billing_core.crypto import sm2_verify, sm3_hex


def verify_signature(public_key_hex: str, bill: Mapping[str, Any], sign_value: str,
                     canonical: bytes | None = None) -> bool:
    """True when ``sign_value`` (hex r‖s) signs the canonical bill under ``public_key_hex``.

    ``canonical``: ``canonical_bill_bytes(bill)`` when the caller already made it (it also feeds
    :func:`link_of`; serialising a bill twice was a tenth of the server's upload time).
    """
    try:
        message = canonical if canonical is not None else canonical_bill_bytes(bill)
        return bool(sm2_verify(public_key_hex, message, bytes.fromhex(sign_value)))
    except Exception:  # noqa: BLE001 - any malformed key, bill or signature is simply invalid
        return False


def genesis(terminal_id: str) -> str:
    """The first ``prevHash`` of a terminal that never had an online acknowledgement."""
    return sm3_hex(f"GENESIS|{terminal_id}".encode())


def online_seed(ack: Mapping[str, Any]) -> str:
    """The chain seed of an online acknowledgement (billBatchCode, billNo, random, createTime)."""
    text = (f"ONLINE|{ack.get('billBatchCode', '')}|{ack.get('billNo', '')}|{ack.get('random', '')}|"
            f"{ack.get('createTime', '')}")
    return sm3_hex(text.encode("utf-8"))


def link_of(up: Mapping[str, Any], canonical: bytes | None = None) -> str:
    """Recompute the chain link of one uploaded bill from its own fields (``canonical``: as above)."""
    bill = up["bill"]
    record = {"billDigest": sm3_hex(canonical if canonical is not None else canonical_bill_bytes(bill)), "billBatchCode": str(up["billBatchCode"]),
              "billNo": str(up["billNo"]), "random": str(up["random"]), "issueTime": str(up["issueTime"]),
              "terminalId": str(up["terminalId"]), "signValue": str(up["signValue"]),
              "busNo": str(bill.get("busNo", ""))}
    return sm3_hex(str(up["prevHash"]).encode("ascii") + canonical_bill_bytes(record))
