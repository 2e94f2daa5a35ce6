"""SM2 signatures over the canonical bill, made by the server for its own emergency bills and
checked for terminals' bills (issue 7).

The canonical bytes are ``billing_core.bills.canonical_bill_bytes`` (the terminals sign the same bytes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gmssl_pyx import sm2_key_generate, sm2_sign, sm2_verify

from billing_core.bills import canonical_bill_bytes
from sync_server.store.files import private_file, write_private

if TYPE_CHECKING:
    from sync_server.context import ServerContext


def canonical_bytes(bill: dict[str, Any]) -> bytes:
    """The bytes an SM2 signature covers."""
    return canonical_bill_bytes(bill)


def load_or_create_keys(data_dir: Path) -> tuple[bytes, bytes]:
    """The server's SM2 key pair (private 32 bytes, public 64 bytes), created on first start."""
    path = Path(data_dir) / "server_sm2.json"
    if path.exists():
        private_file(path)  # an older version may have left it readable by others
        obj = json.loads(path.read_text(encoding="utf-8"))
        return bytes.fromhex(obj["private"]), bytes.fromhex(obj["public"])
    public, private = sm2_key_generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, json.dumps({"private": private.hex(), "public": public.hex()}))
    return private, public


def sign_bill(ctx: ServerContext, bill: dict[str, Any]) -> str:
    """Hex SM2 signature (DER) of the canonical bill with the server's key."""
    signature: bytes = sm2_sign(ctx.sm2_private, ctx.sm2_public, canonical_bytes(bill))  # gmssl_pyx is untyped
    return signature.hex()


def verify_bill(public_hex: str, bill: dict[str, Any], sign_hex: str) -> bool:
    """True when ``sign_hex`` is a valid SM2 signature of the canonical bill under ``public_hex``."""
    try:
        return bool(sm2_verify(bytes.fromhex(public_hex), canonical_bytes(bill), bytes.fromhex(sign_hex)))
    except Exception:  # noqa: BLE001 - any malformed key or signature is simply invalid
        return False
