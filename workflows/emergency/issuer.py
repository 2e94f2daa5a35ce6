"""Issuing one emergency bill: number, check code, signature, chain link, commit — in one transaction.

Order (issue 7 §5; offline_rules.md §6.1, §6.5): inside one ``BEGIN IMMEDIATE`` transaction take
the next number of the block, make the check code, sign the canonical bill, link it into the
journal's SM3 chain, insert the journal row, its upload work (outbox, with its idempotency key)
and its print job; commit (``synchronous=FULL``); only then print. A crash before the commit
leaves the number unused (nothing was printed); after it the bill is in the journal and its
notice is resumable. Printed number, check code and signature are exactly what is uploaded
later (Brazil NFC-e: the same key, never a placeholder).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_core import methods
from billing_core.clock import ts17
from billing_core.money import parse_amount
from billing_core.qr_payload import BillQr
from offline_store import journal, outbox, print_jobs, stock
from offline_store.db import Database
from workflows.emergency import chain
from workflows.emergency.limits import EmergencyLimits, upload_deadline
from workflows.errors import NoStockError

#: HIS issuing method -> ``billType`` of uploadEmergencyEBill (finance_platform.md §17).
BILL_TYPES = {m.name: m.bill_type for m in methods.ISSUE.values()}

UPLOAD_KIND = "emergency_upload"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who issues: the terminal, its billing point and what the notice prints about them."""

    terminal_id: str
    place_code: str
    hospital_name: str = ""
    place_name: str = ""


def idempotency_key(terminal_id: str, bill_batch_code: str, bill_no: str) -> str:
    """The upload's idempotency key: one per printed number (the server is UNIQUE on it)."""
    return f"{terminal_id}:{bill_batch_code}:{bill_no}"


def upload_payload(entry: journal.JournalEntry) -> dict[str, Any]:
    """The ``uploadEmergencyEBill`` request of a journal entry (docs/EMERGENCY.md "Wire contract")."""
    return {
        "idempotencyKey": idempotency_key(entry.terminal_id, entry.bill_batch_code, entry.bill_no),
        "terminalId": entry.terminal_id,
        "seq": entry.seq,
        "method": entry.method,
        "billType": entry.bill_type,
        "bill": entry.request,
        "billBatchCode": entry.bill_batch_code,
        "billNo": entry.bill_no,
        "random": entry.random,
        "issueTime": entry.issue_time,
        "signValue": entry.sign_value,
        "prevHash": entry.prev_hash,
        "hash": entry.hash,
        "chainSeed": entry.seed,
        "inDoubt": entry.in_doubt,
    }


def notice_document(identity: Identity, request: dict[str, Any], answer: dict[str, Any],
                    emergency: dict[str, str] | None) -> dict[str, Any]:
    """The stored print document (print_templates' sample shape) of a bill."""
    doc: dict[str, Any] = {"hospital": {"name": identity.hospital_name or "医院",
                                        "placeName": identity.place_name or identity.place_code},
                           "request": request, "response": answer}
    if emergency:
        doc["emergency"] = emergency
    return doc


class EmergencyIssuer:
    """Writes emergency bills into the journal.

    :param crash_hook: called with ``"number_taken"`` (inside the transaction) and
        ``"committed"`` (after the commit); the fault tests kill the process there.
    """

    def __init__(self, db: Database, identity: Identity, signer: chain.BillSigner, limits: EmergencyLimits,
                 crash_hook: Callable[[str], None] | None = None) -> None:
        self.db = db
        self.identity = identity
        self.signer = signer
        self.limits = limits
        self._crash = crash_hook or (lambda _point: None)

    def issue(self, method: str, bill: dict[str, Any], now: datetime, *, in_doubt: bool) -> tuple[int, int]:
        """Commit one emergency bill for the normalised ``bill``; returns ``(journal seq, print job id)``.

        :raises NoStockError: no number left for the billing point (nothing written).
        """
        ident = self.identity
        place = str(bill.get("placeCode") or ident.place_code)
        amount = parse_amount(bill["totalAmt"], field="totalAmt")
        issue_time = ts17(now)
        sign_value = self.signer.sign(bill)  # does not depend on the number: sign outside the lock's hot path
        with self.db.atomic():
            taken = stock.take_number(self.db, place)
            if taken is None:
                raise NoStockError(f"开票点{place}的应急票据号码已用完，请联网后领用应急库存")
            self._crash("number_taken")
            random = secrets.token_hex(3)  # 6 lower-case hex, as the platform's check codes (§3.4)
            head, seed = journal.chain_head(self.db)
            prev_hash = head or chain.genesis(ident.terminal_id)
            record = chain.link_record(bill, bill_batch_code=taken.bill_batch_code, bill_no=taken.bill_no,
                                       random=random, issue_time=issue_time, terminal_id=ident.terminal_id,
                                       sign_value=sign_value)
            link = chain.link(prev_hash, record)
            seq = journal.insert(
                self.db, bus_no=str(bill["busNo"]), method=method, bill_type=BILL_TYPES[method], request=bill,
                place_code=place, block_id=taken.block_id, bill_batch_code=taken.bill_batch_code,
                bill_no=taken.bill_no, random=random, total_amt=amount, issue_time=issue_time,
                terminal_id=ident.terminal_id, sign_value=sign_value, prev_hash=prev_hash, seed=seed, hash=link,
                in_doubt=in_doubt)
            entry = journal.by_seq(self.db, seq)
            assert entry is not None
            outbox.enqueue(self.db, UPLOAD_KIND, entry.bus_no,
                           idempotency_key(ident.terminal_id, taken.bill_batch_code, taken.bill_no),
                           upload_payload(entry), issue_time)
            deadline = upload_deadline(self.limits, issue_time)
            job_id = print_jobs.create(self.db, "notice", entry.bus_no, notice_document(
                ident, bill, emergency_answer(entry),
                {"terminalId": ident.terminal_id, "uploadDeadline": f"{deadline:%Y-%m-%d %H:%M}"}), issue_time)
        self._crash("committed")
        return seq, job_id


def emergency_answer(entry: journal.JournalEntry) -> dict[str, Any]:
    """The §3.4-shaped answer of an emergency bill (what the notice and the GUI show)."""
    qr = BillQr(entry.bill_batch_code, entry.bill_no, entry.random, entry.total_amt, entry.issue_time[:8])
    return {"billBatchCode": entry.bill_batch_code, "billNo": entry.bill_no, "random": entry.random,
            "createTime": entry.issue_time, "qrText": qr.text(), "emergency": True}


def amount_of(bill: dict[str, Any]) -> Decimal:
    """The bill's total as Decimal (``totalAmt``; a prepayment voucher, invoicePayMentVoucher, has
    ``amt`` instead: the kiosk issues deposit and top-up vouchers through the same workflow)."""
    if "totalAmt" not in bill and "amt" in bill:
        return parse_amount(bill["amt"], field="amt")
    return parse_amount(bill["totalAmt"], field="totalAmt")
