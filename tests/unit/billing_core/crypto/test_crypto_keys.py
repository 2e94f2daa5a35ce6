"""SM2 key loading from hex, raw bytes and PEM; PEM compatibility with Tongsuo's serializer; bad keys
refused with E9103."""

from __future__ import annotations

import base64

import pytest
from tongsuopy.crypto import serialization
from tongsuopy.crypto.asymciphers import ec

from billing_core.crypto import SM2PrivateKey, SM2PublicKey, load_private_key, load_public_key
from billing_core.crypto._ec import GX, GY, N, P
from billing_core.crypto.errors import KeyFormatError
from tests.unit.billing_core.crypto import vectors as v

pytestmark = pytest.mark.unit

KEY = SM2PrivateKey.from_hex(v.SM2_D)
TONGSUO_KEY = ec.derive_private_key(KEY.d, ec.SM2())
NO_ENC = serialization.NoEncryption()


def test_private_key_forms() -> None:
    forms = [v.SM2_D, v.SM2_D.lower(), f"0x{v.SM2_D}", " ".join(v.SM2_D[i:i + 8] for i in range(0, 64, 8)),
             bytes.fromhex(v.SM2_D), KEY.to_pem(), KEY.to_pem().encode(), KEY]
    for form in forms:
        assert load_private_key(form) == KEY, form
    assert KEY.to_hex() == v.SM2_D.lower()


def test_private_key_with_dropped_leading_zeros() -> None:
    small = SM2PrivateKey(0x1234)
    assert load_private_key("1234") == small == load_private_key(small.to_hex())


def test_public_key_forms() -> None:
    pub = KEY.public_key
    compressed = bytes([2 + (pub.y & 1)]) + pub.x.to_bytes(32, "big")
    forms = [v.SM2_PUB, v.SM2_PUB[2:], v.SM2_PUB.lower(), bytes.fromhex(v.SM2_PUB), bytes.fromhex(v.SM2_PUB[2:]),
             compressed, compressed.hex(), pub.to_pem(), pub, KEY]
    for form in forms:
        assert load_public_key(form) == pub, form
    assert pub.to_hex() == v.SM2_PUB.lower() and pub.to_hex(prefix=False) == v.SM2_PUB[2:].lower()


def test_our_pem_matches_tongsuo_byte_for_byte() -> None:
    assert KEY.to_pem() == TONGSUO_KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, NO_ENC).decode()
    assert KEY.public_key.to_pem() == TONGSUO_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_tongsuo_pem_forms_load() -> None:
    for fmt in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        pem = TONGSUO_KEY.private_bytes(serialization.Encoding.PEM, fmt, NO_ENC).decode()
        assert load_private_key(pem) == KEY
    loaded = serialization.load_pem_private_key(SM2PrivateKey.generate().to_pem().encode(), None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)


def test_pem_with_an_ec_parameters_block_first() -> None:
    # What `openssl ecparam -name SM2 -genkey` writes: the curve OID block, then the key.
    params = "-----BEGIN EC PARAMETERS-----\nBggqgRzPVQGCLQ==\n-----END EC PARAMETERS-----\n"
    sec1 = TONGSUO_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                     NO_ENC).decode()
    assert load_private_key(params + sec1) == KEY
    assert load_public_key(params + KEY.public_key.to_pem()) == KEY.public_key


def test_repr_hides_the_private_value() -> None:
    assert v.SM2_D.lower() not in repr(KEY).lower() and "public_key" in repr(KEY)


@pytest.mark.parametrize("bad", [
    "", "zz" * 32, "00" * 32, f"{N - 1:064x}", f"{N:064x}", "11" * 33, b"\x01" * 33,
    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
])
def test_bad_private_keys(bad: str | bytes) -> None:
    with pytest.raises(KeyFormatError) as err:
        load_private_key(bad)
    assert err.value.code == "E9103"


@pytest.mark.parametrize("bad", [
    "", "04" + "00" * 64, f"04{GX:064x}{(GY + 1) % P:064x}", f"05{GX:064x}{GY:064x}", "02" + "ff" * 32,
    b"\x04" * 10, KEY.to_pem(),
])
def test_bad_public_keys(bad: str | bytes) -> None:
    with pytest.raises(KeyFormatError) as err:
        load_public_key(bad)
    assert err.value.code == "E9103"


def test_sec1_pem_with_a_foreign_public_key_is_refused() -> None:
    other = ec.derive_private_key(KEY.d + 1, ec.SM2())
    ours = TONGSUO_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                     NO_ENC).decode()
    theirs = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                 NO_ENC).decode()
    # Splice the other key's public point into our SEC1 structure: same length, different point.
    ours_der = base64.b64decode("".join(ours.splitlines()[1:-1]))
    theirs_der = base64.b64decode("".join(theirs.splitlines()[1:-1]))
    spliced = ours_der[:-65] + theirs_der[-65:]
    pem = "-----BEGIN EC PRIVATE KEY-----\n" + base64.b64encode(spliced).decode() + "\n-----END EC PRIVATE KEY-----\n"
    with pytest.raises(KeyFormatError):
        load_private_key(pem)


def test_generated_keys_are_distinct_and_valid() -> None:
    keys = {SM2PrivateKey.generate().d for _ in range(5)}
    assert len(keys) == 5 and all(1 <= d <= N - 2 for d in keys)
    assert SM2PublicKey.from_bytes(SM2PrivateKey.generate().public_key.to_bytes()).x > 0
