"""The three known defects of pure-Python gmssl 3.2.2, each shown on gmssl itself and shown to be
guarded by our ``gmssl`` backend."""

from __future__ import annotations

import random

import pytest
from gmssl import func
from gmssl.sm2 import CryptSM2

from billing_core.crypto import CipherOrder, Ciphertext, SM2PrivateKey, get_backend
from billing_core.crypto._ec import N
from billing_core.crypto.errors import DecryptionError
from tests.unit.billing_core.crypto import vectors as v

pytestmark = pytest.mark.unit

MESSAGE = b"emergency bill 0001"


@pytest.fixture(scope="module")
def key() -> SM2PrivateKey:
    return SM2PrivateKey.generate()


# -- defect 1: nonce from the `random` module ---------------------------------------------------------


def test_gmssl_default_nonce_is_predictable_and_leaks_the_key(key: SM2PrivateKey) -> None:
    """With gmssl's default nonce, whoever can reproduce `random`'s state recovers the private key."""
    crypt = CryptSM2(private_key=key.to_hex(), public_key=key.public_key.to_hex(prefix=False))
    random.seed(20261123)
    signature = crypt.sign_with_sm3(MESSAGE)  # no random_hex_str: gmssl draws k with random.choice
    random.seed(20261123)
    k = int(func.random_hex(64), 16)  # the attacker replays the same PRNG state
    r, s = int(signature[:64], 16), int(signature[64:], 16)
    # s = (1 + d)^-1 (k - r d)  =>  d = (k - s) / (s + r)  (mod n)
    assert (k - s) * pow(s + r, -1, N) % N == key.d


def test_our_gmssl_backend_never_uses_random(key: SM2PrivateKey, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_args: object) -> str:
        raise AssertionError("gmssl's non-cryptographic random_hex was called")

    monkeypatch.setattr(func, "random_hex", forbidden)
    backend = get_backend("gmssl")
    signatures = set()
    for _ in range(2):
        random.seed(1)  # same `random` state: different signatures prove k comes from elsewhere
        signatures.add(backend.sign(key, MESSAGE))
    assert len(signatures) == 2
    assert all(backend.verify(key.public_key, MESSAGE, sig) for sig in signatures)
    random.seed(1)
    first = backend.encrypt(key.public_key, MESSAGE)
    random.seed(1)
    second = backend.encrypt(key.public_key, MESSAGE)
    assert first != second
    assert backend.decrypt(key, first) == backend.decrypt(key, second) == MESSAGE


# -- defect 2: lstrip("04") on the public key ---------------------------------------------------------


def _key_whose_x_starts_with_04() -> SM2PrivateKey:
    d = 1
    while not SM2PrivateKey(d).public_key.to_hex(prefix=False).startswith("04"):
        d += 1
    return SM2PrivateKey(d)


def test_gmssl_mangles_prefixed_and_bare_keys() -> None:
    # The standard's example key: X = 09F9DF31..., so "04" + X loses "0409" to lstrip("04").
    assert CryptSM2(private_key="", public_key=v.SM2_PUB).public_key != v.SM2_PUB[2:]
    assert not CryptSM2(private_key="", public_key=v.SM2_PUB).verify(
        v.SM2_SIGN_R + v.SM2_SIGN_S, bytes.fromhex(v.SM2_SIGN_E))
    # Even bare X||Y is mangled when X itself starts with "04".
    odd = _key_whose_x_starts_with_04()
    bare = odd.public_key.to_hex(prefix=False)
    assert CryptSM2(private_key="", public_key=bare).public_key != bare


def test_our_gmssl_backend_handles_those_keys() -> None:
    backend = get_backend("gmssl")
    sig = bytes.fromhex(v.SM2_SIGN_R + v.SM2_SIGN_S)
    assert backend.verify(v.SM2_PUB, v.SM2_SIGN_MESSAGE, sig, user_id=v.SM2_SIGN_USER_ID)
    odd = _key_whose_x_starts_with_04()
    for pub in (odd.public_key.to_hex(), odd.public_key.to_hex(prefix=False)):
        signature = backend.sign(odd, MESSAGE)
        assert backend.verify(pub, MESSAGE, signature)
        assert get_backend("gmssl_pyx").verify(pub, MESSAGE, signature)
        assert backend.decrypt(odd, backend.encrypt(pub, MESSAGE)) == MESSAGE


# -- defect 3: decrypt never checks C3 ----------------------------------------------------------------


def test_gmssl_decrypt_accepts_altered_ciphertexts_ours_refuses(key: SM2PrivateKey) -> None:
    good = Ciphertext.from_bytes(get_backend("gmssl_pyx").encrypt(key.public_key, MESSAGE))
    altered_c3 = Ciphertext(good.x1, good.y1, bytes(32), good.c2)
    altered_c2 = Ciphertext(good.x1, good.y1, good.c3, bytes([good.c2[0] ^ 0xFF]) + good.c2[1:])
    gmssl = CryptSM2(private_key=key.to_hex(), public_key="", mode=1)  # mode 1 = C1C3C2
    gmssl.public_key = key.public_key.to_hex(prefix=False)
    # gmssl wants C1 without the 04 prefix.
    assert gmssl.decrypt(altered_c3.to_bytes(c1_prefix=False)) == MESSAGE  # accepted despite a zero C3
    garbage = gmssl.decrypt(altered_c2.to_bytes(c1_prefix=False))
    assert garbage != MESSAGE  # silently returns a wrong plaintext
    backend = get_backend("gmssl")
    for altered in (altered_c3, altered_c2):
        with pytest.raises(DecryptionError):
            backend.decrypt(key, altered.to_bytes(CipherOrder.C1C3C2))
    assert backend.decrypt(key, good.to_bytes()) == MESSAGE
