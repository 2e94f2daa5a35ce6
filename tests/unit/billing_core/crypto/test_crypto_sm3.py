"""SM3 against GB/T 32905-2016 Annex A, through every implementation present."""

from __future__ import annotations

import pytest

from billing_core.crypto import sm3 as sm3_module
from billing_core.crypto import sm3_digest, sm3_hex, sm3_kdf
from tests.unit.billing_core.crypto.vectors import SM3_VECTORS

pytestmark = pytest.mark.unit


def test_all_expected_implementations_are_present() -> None:
    # The C implementation must be the one in use; the pure one must stay available as fallback.
    assert sm3_module.IMPLEMENTATION == "gmssl_pyx"
    assert {"gmssl_pyx", "gmssl"} <= set(sm3_module.IMPLEMENTATIONS)


@pytest.mark.parametrize("impl", sorted(sm3_module.IMPLEMENTATIONS))
@pytest.mark.parametrize(("message", "expected"), SM3_VECTORS)
def test_standard_vectors(impl: str, message: bytes, expected: str) -> None:
    assert sm3_module.IMPLEMENTATIONS[impl](message).hex() == expected


@pytest.mark.parametrize(("message", "expected"), SM3_VECTORS)
def test_public_helpers(message: bytes, expected: str) -> None:
    assert sm3_hex(message) == expected
    assert sm3_digest(message) == bytes.fromhex(expected)


def test_implementations_agree_on_odd_lengths() -> None:
    impls = list(sm3_module.IMPLEMENTATIONS.values())
    for length in (0, 1, 55, 56, 63, 64, 65, 1000):
        data = bytes(range(256)) * 4
        digests = {impl(data[:length]) for impl in impls}
        assert len(digests) == 1, length


def test_kdf_is_counter_mode_sm3() -> None:
    z = b"shared secret"
    out = sm3_kdf(z, 70)
    assert len(out) == 70
    assert out[:32] == sm3_digest(z + b"\x00\x00\x00\x01")
    assert out[32:64] == sm3_digest(z + b"\x00\x00\x00\x02")
    assert out[64:] == sm3_digest(z + b"\x00\x00\x00\x03")[:6]
