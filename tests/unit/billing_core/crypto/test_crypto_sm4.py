"""SM4 ECB/CBC against GB/T 32907-2016 and draft-ribose-cfrg-sm4 vectors, through every
implementation present, plus strict PKCS#7 handling."""

from __future__ import annotations

import pytest

from billing_core.crypto import sm4 as sm4_module
from billing_core.crypto import sm4_decrypt_cbc, sm4_decrypt_ecb, sm4_encrypt_cbc, sm4_encrypt_ecb
from billing_core.crypto.errors import CipherInputError, DecryptionError
from tests.unit.billing_core.crypto import vectors as v

pytestmark = pytest.mark.unit

IMPLS = sorted(sm4_module.IMPLEMENTATIONS)


def test_expected_implementations_are_present() -> None:
    assert sm4_module.IMPLEMENTATION == "gmssl_pyx"
    assert set(IMPLS) == {"gmssl_pyx", "tongsuo", "gmssl"}


@pytest.mark.parametrize("impl", IMPLS)
def test_gbt32907_example_1_ecb_single_block(impl: str) -> None:
    out = sm4_encrypt_ecb(v.SM4_KEY, v.SM4_GB_PLAIN, padding=False, implementation=impl)
    assert out == v.SM4_GB_CIPHER
    assert sm4_decrypt_ecb(v.SM4_KEY, out, padding=False, implementation=impl) == v.SM4_GB_PLAIN


def test_gbt32907_example_2_million_encryptions() -> None:
    """E^1000000(P) in one call: CBC with IV = 0 over P || 0 || 0 ... makes C_i = E(C_(i-1)), so the
    last block is the millionth encryption. Only the C implementation: pure Python needs minutes."""
    rounds = 1_000_000
    data = v.SM4_GB_PLAIN + bytes(16 * (rounds - 1))
    out = sm4_encrypt_cbc(v.SM4_KEY, bytes(16), data, padding=False, implementation="tongsuo")
    assert out[:16] == v.SM4_GB_CIPHER
    assert out[-16:] == v.SM4_GB_MILLION


@pytest.mark.parametrize("impl", IMPLS)
def test_ecb_two_blocks(impl: str) -> None:
    out = sm4_encrypt_ecb(v.SM4_KEY, v.SM4_PLAIN, padding=False, implementation=impl)
    assert out == v.SM4_ECB_CIPHER
    assert sm4_decrypt_ecb(v.SM4_KEY, out, padding=False, implementation=impl) == v.SM4_PLAIN


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("key", "expected"), [(v.SM4_KEY, v.SM4_CBC_CIPHER), (v.SM4_KEY_2, v.SM4_CBC_CIPHER_2)])
def test_cbc_vectors(impl: str, key: bytes, expected: bytes) -> None:
    out = sm4_encrypt_cbc(key, v.SM4_IV, v.SM4_PLAIN, padding=False, implementation=impl)
    assert out == expected
    assert sm4_decrypt_cbc(key, v.SM4_IV, out, padding=False, implementation=impl) == v.SM4_PLAIN


@pytest.mark.parametrize("impl", IMPLS)
def test_pkcs7_padding_on_vectors(impl: str) -> None:
    # A whole-block message gets one full pad block; the first blocks are the unpadded vector.
    ecb = sm4_encrypt_ecb(v.SM4_KEY, v.SM4_PLAIN, implementation=impl)
    assert len(ecb) == 48 and ecb[:32] == v.SM4_ECB_CIPHER
    assert ecb[32:] == sm4_encrypt_ecb(v.SM4_KEY, b"\x10" * 16, padding=False, implementation=impl)
    cbc = sm4_encrypt_cbc(v.SM4_KEY, v.SM4_IV, v.SM4_PLAIN, implementation=impl)
    assert cbc[:32] == v.SM4_CBC_CIPHER
    assert sm4_decrypt_cbc(v.SM4_KEY, v.SM4_IV, cbc, implementation=impl) == v.SM4_PLAIN


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 100])
def test_padded_roundtrip_and_implementations_agree(length: int) -> None:
    data = bytes(range(length))
    ecb = {sm4_encrypt_ecb(v.SM4_KEY, data, implementation=i) for i in IMPLS}
    cbc = {sm4_encrypt_cbc(v.SM4_KEY, v.SM4_IV, data, implementation=i) for i in IMPLS}
    assert len(ecb) == 1 and len(cbc) == 1
    (ecb_ct,), (cbc_ct,) = ecb, cbc
    assert len(ecb_ct) == (length // 16 + 1) * 16
    for impl in IMPLS:
        assert sm4_decrypt_ecb(v.SM4_KEY, ecb_ct, implementation=impl) == data
        assert sm4_decrypt_cbc(v.SM4_KEY, v.SM4_IV, cbc_ct, implementation=impl) == data


@pytest.mark.parametrize("impl", IMPLS)
def test_bad_padding_and_wrong_key_are_refused(impl: str) -> None:
    bad_pad = sm4_encrypt_ecb(v.SM4_KEY, b"A" * 15 + b"\x02", padding=False, implementation=impl)
    with pytest.raises(DecryptionError) as err:
        sm4_decrypt_ecb(v.SM4_KEY, bad_pad, implementation=impl)
    assert err.value.code == "E9104"
    zero_pad = sm4_encrypt_ecb(v.SM4_KEY, b"A" * 15 + b"\x00", padding=False, implementation=impl)
    with pytest.raises(DecryptionError):
        sm4_decrypt_ecb(v.SM4_KEY, zero_pad, implementation=impl)
    with pytest.raises(DecryptionError):
        sm4_decrypt_ecb(v.SM4_KEY, b"\x00" * 17, implementation=impl)
    with pytest.raises(DecryptionError):
        sm4_decrypt_cbc(v.SM4_KEY, v.SM4_IV, b"", implementation=impl)


def test_wrong_key_or_iv_length_is_an_input_error() -> None:
    with pytest.raises(CipherInputError) as err:
        sm4_encrypt_ecb(b"short", b"data")
    assert err.value.code == "E9105" and "16字节" in err.value.message
    with pytest.raises(CipherInputError):
        sm4_encrypt_cbc(v.SM4_KEY, b"\x00" * 8, b"data")
    with pytest.raises(CipherInputError):
        sm4_encrypt_ecb(v.SM4_KEY, b"not a block", padding=False)
