"""Signatures and the SM3 hash chain of the emergency journal.

* ``signValue`` = hex of the SM2 signature (r||s, SM3withSM2, default user id) of
  ``billing_core.bills.canonical_bill_bytes(bill)``, where ``bill`` is the normalised issuing
  request (validate_request). That is spec §17's ``signValue`` and what the sync server checks
  against the public key the terminal registered.
* Chain link = ``sm3_hex(prev_hash + canonical_bill_bytes(record))`` where ``record`` binds the
  bill's digest to the number, check code, time, terminal and signature printed
  (:func:`link_record`). ``prev_hash`` is the previous journal entry's link or, when the chain
  restarts after online issuing, :func:`online_seed` of the last online acknowledgement
  (fiskaly SIGN FR, offline_rules.md §1.3); the very first link starts from :func:`genesis`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing_core.bills import canonical_bill_bytes
from billing_core.crypto import (
    SM2PrivateKey,
    load_private_key,
    load_public_key,
    sm2_sign,
    sm2_verify,
    sm3_hex,
)


class BillSigner:
    """Signs canonical bills with the terminal's SM2 key (hex of ``d`` or PEM)."""

    def __init__(self, private_key: str | SM2PrivateKey) -> None:
        self._key = load_private_key(private_key)
        self.public_key_hex: str = load_public_key(self._key).to_hex()

    def sign(self, bill: Mapping[str, Any]) -> str:
        """Hex signature over ``canonical_bill_bytes(bill)``."""
        return sm2_sign(self._key, canonical_bill_bytes(bill)).hex()


def verify(public_key_hex: str, bill: Mapping[str, Any], sign_value: str) -> bool:
    """True when ``sign_value`` signs ``bill`` (what the server does; used in tests)."""
    return sm2_verify(public_key_hex, canonical_bill_bytes(bill), bytes.fromhex(sign_value))


def genesis(terminal_id: str) -> str:
    """The first ``prev_hash`` of a terminal that never had an online acknowledgement."""
    return sm3_hex(f"GENESIS|{terminal_id}".encode())


def online_seed(ack: Mapping[str, Any]) -> str:
    """The chain seed from an online acknowledgement (§3.4 billBatchCode/billNo/random/createTime)."""
    text = f"ONLINE|{ack.get('billBatchCode', '')}|{ack.get('billNo', '')}|{ack.get('random', '')}|{ack.get('createTime', '')}"
    return sm3_hex(text.encode("utf-8"))


def link_record(bill: Mapping[str, Any], *, bill_batch_code: str, bill_no: str, random: str, issue_time: str,
                terminal_id: str, sign_value: str) -> dict[str, str]:
    """What a chain link covers, besides the previous link."""
    return {"billDigest": sm3_hex(canonical_bill_bytes(bill)), "billBatchCode": bill_batch_code, "billNo": bill_no,
            "random": random, "issueTime": issue_time, "terminalId": terminal_id, "signValue": sign_value,
            "busNo": str(bill.get("busNo", ""))}


def link(prev_hash: str, record: Mapping[str, Any]) -> str:
    """The chain link of ``record`` after ``prev_hash``."""
    return sm3_hex(prev_hash.encode("ascii") + canonical_bill_bytes(record))


def verify_chain(start: str, records: list[tuple[str, Mapping[str, Any], str]]) -> bool:
    """Check ``[(prev_hash, record, hash), ...]`` links up from ``start`` (tests, the server)."""
    prev = start
    for prev_hash, record, h in records:
        if prev_hash != prev or link(prev_hash, record) != h:
            return False
        prev = h
    return True
