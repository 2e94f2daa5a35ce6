"""Every backend's signatures verify in every other backend, ciphertexts decrypt across backends in
both orders, and tampered signatures and ciphertexts are rejected by every backend (gmssl included)."""

from __future__ import annotations

import itertools

import pytest

from billing_core.crypto import CipherOrder, SM2PrivateKey, get_backend
from billing_core.crypto._ec import N
from billing_core.crypto.errors import DecryptionError

pytestmark = pytest.mark.unit

BACKENDS = ["fast", "gmssl_pyx", "tongsuo", "gmssl"]
PAIRS = list(itertools.product(BACKENDS, BACKENDS))
MESSAGE = "应急票据 E2026-000123 合计 ¥1,234.50".encode()
OTHER_ID = b"ALICE123@YAHOO.COM"


@pytest.fixture(scope="module")
def key() -> SM2PrivateKey:
    return SM2PrivateKey.generate()


@pytest.fixture(scope="module")
def other_key() -> SM2PrivateKey:
    return SM2PrivateKey.generate()


@pytest.fixture(scope="module")
def signatures(key: SM2PrivateKey) -> dict[tuple[str, bytes], bytes]:
    return {(b, uid): get_backend(b).sign(key, MESSAGE, user_id=uid)
            for b in BACKENDS for uid in (b"1234567812345678", OTHER_ID)}


@pytest.fixture(scope="module")
def ciphertexts(key: SM2PrivateKey) -> dict[tuple[str, CipherOrder], bytes]:
    return {(b, o): get_backend(b).encrypt(key.public_key, MESSAGE, order=o)
            for b in BACKENDS for o in CipherOrder}


@pytest.mark.parametrize(("signer", "verifier"), PAIRS)
@pytest.mark.parametrize("user_id", [b"1234567812345678", OTHER_ID])
def test_signature_verifies_across_backends(signatures: dict[tuple[str, bytes], bytes], key: SM2PrivateKey,
                                            signer: str, verifier: str, user_id: bytes) -> None:
    signature = signatures[(signer, user_id)]
    assert len(signature) == 64
    assert get_backend(verifier).verify(key.public_key, MESSAGE, signature, user_id=user_id)


@pytest.mark.parametrize(("signer", "verifier"), PAIRS)
def test_der_signature_verifies_across_backends(key: SM2PrivateKey, signer: str, verifier: str) -> None:
    signature = get_backend(signer).sign(key.to_pem(), MESSAGE, fmt="der")
    assert signature[0] == 0x30
    assert get_backend(verifier).verify(key.public_key.to_pem(), MESSAGE, signature, fmt="der")


def test_signatures_use_fresh_nonces(key: SM2PrivateKey) -> None:
    for backend in BACKENDS:
        first, second = (get_backend(backend).sign(key, MESSAGE) for _ in range(2))
        assert first != second, backend


@pytest.mark.parametrize(("encryptor", "decryptor"), PAIRS)
@pytest.mark.parametrize("order", list(CipherOrder))
def test_ciphertext_decrypts_across_backends(ciphertexts: dict[tuple[str, CipherOrder], bytes],
                                             key: SM2PrivateKey, encryptor: str, decryptor: str,
                                             order: CipherOrder) -> None:
    raw = ciphertexts[(encryptor, order)]
    assert len(raw) == 65 + 32 + len(MESSAGE) and raw[0] == 4
    assert get_backend(decryptor).decrypt(key, raw, order=order) == MESSAGE


def _tampered_signatures(good: bytes) -> dict[str, bytes]:
    r, s = good[:32], good[32:]
    return {
        "r bit flipped": bytes([r[0] ^ 0x01]) + r[1:] + s,
        "s bit flipped": r + s[:-1] + bytes([s[-1] ^ 0x80]),
        "r and s swapped": s + r,
        "r = 0": bytes(32) + s,
        "s = n": r + N.to_bytes(32, "big"),
        "truncated": good[:-1],
        "empty": b"",
    }


@pytest.mark.parametrize("verifier", BACKENDS)
def test_tampered_signatures_are_rejected(signatures: dict[tuple[str, bytes], bytes], key: SM2PrivateKey,
                                          other_key: SM2PrivateKey, verifier: str) -> None:
    impl = get_backend(verifier)
    for signer in BACKENDS:
        good = signatures[(signer, b"1234567812345678")]
        for what, bad in _tampered_signatures(good).items():
            assert not impl.verify(key.public_key, MESSAGE, bad), (signer, what)
        assert not impl.verify(key.public_key, MESSAGE + b" ", good), (signer, "message changed")
        assert not impl.verify(key.public_key, MESSAGE, good, user_id=OTHER_ID), (signer, "other user id")
        assert not impl.verify(other_key.public_key, MESSAGE, good), (signer, "other key")
        assert not impl.verify(key.public_key, MESSAGE, good, fmt="der"), (signer, "rs read as der")


def _tampered_ciphertexts(good: bytes, order: CipherOrder) -> dict[str, bytes]:
    c3_at = 65 if order is CipherOrder.C1C3C2 else len(good) - 32
    c2_at = 65 + 32 if order is CipherOrder.C1C3C2 else 65
    flip = lambda data, i: data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]  # noqa: E731
    return {
        "C1 x flipped (off the curve)": flip(good, 5),
        "C3 flipped": flip(good, c3_at + 7),
        "C2 flipped": flip(good, c2_at + 3),
        "C2 truncated": good[:-1] if order is CipherOrder.C1C3C2 else good[:c2_at + 2] + good[c2_at + 3:],
        "C2 removed": good[:65 + 32],
        "empty": b"",
    }


@pytest.mark.parametrize("decryptor", BACKENDS)
@pytest.mark.parametrize("order", list(CipherOrder))
def test_tampered_ciphertexts_are_rejected(ciphertexts: dict[tuple[str, CipherOrder], bytes],
                                           key: SM2PrivateKey, other_key: SM2PrivateKey,
                                           decryptor: str, order: CipherOrder) -> None:
    impl = get_backend(decryptor)
    for encryptor in BACKENDS:
        good = ciphertexts[(encryptor, order)]
        for what, bad in _tampered_ciphertexts(good, order).items():
            with pytest.raises(DecryptionError) as err:
                impl.decrypt(key, bad, order=order)
            assert err.value.code == "E9104", (encryptor, what)
        with pytest.raises(DecryptionError):
            impl.decrypt(other_key, good, order=order)  # made for another key: C3 cannot match
