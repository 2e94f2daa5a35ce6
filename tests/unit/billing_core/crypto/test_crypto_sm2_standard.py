"""The GM/T 0003.5-2012 (GB/T 32918.5) example signature verifies and its example ciphertext decrypts,
in every backend; our Z_A / e and DER encoder reproduce the published intermediate values."""

from __future__ import annotations

import pytest

from billing_core.crypto import (
    CipherOrder,
    Ciphertext,
    SM2PrivateKey,
    available_backends,
    get_backend,
    load_public_key,
    message_digest,
)
from billing_core.crypto.errors import DecryptionError
from tests.unit.billing_core.crypto import vectors as v

pytestmark = pytest.mark.unit

BACKENDS = ["fast", "gmssl_pyx", "tongsuo", "gmssl"]
SIGNATURE_RS = bytes.fromhex(v.SM2_SIGN_R + v.SM2_SIGN_S)
SIGNATURE_DER = bytes.fromhex("3046022100" + v.SM2_SIGN_R + "022100" + v.SM2_SIGN_S)
PARTS = Ciphertext(int(v.SM2_ENC_C1X, 16), int(v.SM2_ENC_C1Y, 16),
                   bytes.fromhex(v.SM2_ENC_C3), bytes.fromhex(v.SM2_ENC_C2))


def test_every_backend_is_installed() -> None:
    assert available_backends() == BACKENDS


def test_example_key_pair_matches() -> None:
    assert SM2PrivateKey.from_hex(v.SM2_D).public_key == load_public_key(v.SM2_PUB)


def test_digest_e_matches_published_hash() -> None:
    e = message_digest(load_public_key(v.SM2_PUB), v.SM2_SIGN_MESSAGE, v.SM2_SIGN_USER_ID)
    assert e.hex().upper() == v.SM2_SIGN_E


@pytest.mark.parametrize("backend", BACKENDS)
def test_example_signature_verifies(backend: str) -> None:
    impl = get_backend(backend)
    assert impl.verify(v.SM2_PUB, v.SM2_SIGN_MESSAGE, SIGNATURE_RS, user_id=v.SM2_SIGN_USER_ID)
    assert impl.verify(v.SM2_PUB, v.SM2_SIGN_MESSAGE, SIGNATURE_DER, user_id=v.SM2_SIGN_USER_ID, fmt="der")
    # The same signature is not valid for another message or another user id.
    assert not impl.verify(v.SM2_PUB, b"message digesT", SIGNATURE_RS, user_id=v.SM2_SIGN_USER_ID)
    assert not impl.verify(v.SM2_PUB, v.SM2_SIGN_MESSAGE, SIGNATURE_RS, user_id=b"ALICE123@YAHOO.COM")


def test_der_encoder_reproduces_published_ciphertext() -> None:
    assert PARTS.to_der().hex().upper() == v.SM2_ENC_DER.upper()
    assert Ciphertext.from_der(bytes.fromhex(v.SM2_ENC_DER)) == PARTS


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("order", list(CipherOrder))
@pytest.mark.parametrize("c1_prefix", [True, False])
def test_example_ciphertext_decrypts(backend: str, order: CipherOrder, c1_prefix: bool) -> None:
    raw = PARTS.to_bytes(order, c1_prefix=c1_prefix)
    assert get_backend(backend).decrypt(v.SM2_D, raw, order=order) == v.SM2_ENC_MESSAGE


@pytest.mark.parametrize("backend", BACKENDS)
def test_example_ciphertext_in_the_wrong_order_is_refused(backend: str) -> None:
    raw = PARTS.to_bytes(CipherOrder.C1C3C2)
    with pytest.raises(DecryptionError) as err:
        get_backend(backend).decrypt(v.SM2_D, raw, order=CipherOrder.C1C2C3)
    assert err.value.code == "E9104"
