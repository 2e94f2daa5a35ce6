"""SM3 hash (GB/T 32905-2016) and the SM3 key derivation function of GB/T 32918.4 §5.4.3.

The implementation is picked once at import: the C code of gmssl-pyx, else OpenSSL through
``hashlib`` when it offers ``sm3``, else the pure-Python gmssl. All three are checked against the
standard's vectors in tests/unit/billing_core/crypto/test_sm3.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

HashFunc = Callable[[bytes], bytes]


def _gmssl_pyx() -> HashFunc | None:
    try:
        from gmssl_pyx import sm3_hash
    except ImportError:
        return None
    func: HashFunc = sm3_hash  # gmssl-pyx ships no types: state the C function's signature here
    return func


def _hashlib() -> HashFunc | None:
    if "sm3" not in hashlib.algorithms_available:
        return None

    def digest(data: bytes) -> bytes:
        return hashlib.new("sm3", data).digest()

    return digest


def _gmssl_pure() -> HashFunc | None:
    try:
        from gmssl import sm3 as gm_sm3
    except ImportError:
        return None

    def digest(data: bytes) -> bytes:
        return bytes.fromhex(gm_sm3.sm3_hash(list(data)))

    return digest


#: Every SM3 implementation present, fastest first (tests run the vectors through each).
IMPLEMENTATIONS: dict[str, HashFunc] = {
    name: func
    for name, func in (("gmssl_pyx", _gmssl_pyx()), ("hashlib", _hashlib()), ("gmssl", _gmssl_pure()))
    if func is not None
}
if not IMPLEMENTATIONS:  # pragma: no cover - gmssl is a hard dependency
    raise ImportError("no SM3 implementation: install gmssl")
IMPLEMENTATION: str = next(iter(IMPLEMENTATIONS))
_digest: HashFunc = IMPLEMENTATIONS[IMPLEMENTATION]


def sm3_digest(data: bytes) -> bytes:
    """The 32-byte SM3 digest of ``data``."""
    return _digest(bytes(data))


def sm3_hex(data: bytes) -> str:
    """The SM3 digest of ``data`` as 64 lower-case hex characters (used for hash chains)."""
    return _digest(bytes(data)).hex()


def sm3_kdf(z: bytes, length: int) -> bytes:
    """KDF(Z, klen) of GB/T 32918.4 §5.4.3: SM3(Z || ct) for ct = 1, 2, ... truncated to ``length``."""
    out = bytearray()
    counter = 1
    while len(out) < length:
        out += _digest(z + counter.to_bytes(4, "big"))
        counter += 1
    return bytes(out[:length])
