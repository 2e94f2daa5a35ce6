"""The small public interface: default and named backends, the one-line sign/verify and SM3 calls
other packages use, input limits with their error codes, and the pure-Python fallback when no C
library is installed (SM3/SM4 fallbacks are run through the vectors in their own test modules)."""

from __future__ import annotations

import pytest

import billing_core.crypto as crypto
import billing_core.crypto.backends as registry
from billing_core.crypto import (
    CipherOrder,
    SM2PrivateKey,
    get_backend,
    sm2_decrypt,
    sm2_encrypt,
    sm2_sign,
    sm2_verify,
    sm3_hex,
)
from billing_core.crypto.errors import BackendUnavailableError, CipherInputError, DecryptionError
from billing_core.errors import BillingError, CryptoError

pytestmark = pytest.mark.unit

@pytest.fixture(scope="module")
def key() -> SM2PrivateKey:
    return SM2PrivateKey.generate()


def test_default_backend_is_the_benchmarked_fast_one() -> None:
    assert get_backend().name == "fast"
    assert get_backend() is get_backend("fast")


def test_unknown_backend() -> None:
    with pytest.raises(BackendUnavailableError) as err:
        get_backend("openssl-magic")
    assert err.value.code == "E9102"
    assert isinstance(err.value, CryptoError) and isinstance(err.value, BillingError)
    assert "openssl-magic" in err.value.message


def test_one_line_sign_and_verify_with_pem_and_hex(key: SM2PrivateKey) -> None:
    bill = b'{"billNo":"0000123","totalAmt":"12.50"}'
    sign_value = sm2_sign(key.to_pem(), bill).hex()
    assert len(sign_value) == 128
    assert sm2_verify(key.public_key.to_hex(), bill, bytes.fromhex(sign_value))
    assert sm2_verify(key.public_key.to_pem(), bill, bytes.fromhex(sign_value), backend="gmssl")
    assert not sm2_verify(key.public_key.to_hex(), bill + b"x", bytes.fromhex(sign_value))
    custom = sm2_sign(key.to_hex(), bill, user_id=b"appSecret-123")
    assert sm2_verify(key.public_key, bill, custom, user_id=b"appSecret-123")
    assert not sm2_verify(key.public_key, bill, custom)


def test_one_line_encrypt_and_decrypt(key: SM2PrivateKey) -> None:
    sm4_key = bytes(range(16))
    for order in CipherOrder:
        ct = sm2_encrypt(key.public_key.to_hex(), sm4_key, order=order)
        assert sm2_decrypt(key.to_hex(), ct, order=order) == sm4_key


def test_sm3_hex_chain_link() -> None:
    link = sm3_hex(b"")
    assert len(link) == 64 and link == link.lower()
    assert sm3_hex(link.encode() + b"record") != sm3_hex(link.encode() + b"recorD")


def test_empty_plaintext_is_refused_everywhere(key: SM2PrivateKey) -> None:
    for name in crypto.available_backends():
        with pytest.raises(CipherInputError) as err:
            get_backend(name).encrypt(key.public_key, b"")
        assert err.value.code == "E9105"


def test_plaintext_length_limits(key: SM2PrivateKey) -> None:
    long_text = bytes(300)
    with pytest.raises(CipherInputError) as err:
        get_backend("gmssl_pyx").encrypt(key.public_key, long_text)
    assert "255" in err.value.message
    assert get_backend("gmssl_pyx").decrypt(key, get_backend("gmssl_pyx").encrypt(key.public_key, bytes(255))) \
        == bytes(255)
    # Backends without a limit interoperate on long messages.
    for encryptor, decryptor in (("fast", "gmssl"), ("tongsuo", "fast"), ("gmssl", "tongsuo")):
        ct = get_backend(encryptor).encrypt(key.public_key, long_text)
        assert get_backend(decryptor).decrypt(key, ct) == long_text
    with pytest.raises(DecryptionError):
        get_backend("gmssl_pyx").decrypt(key, ct)


def test_user_id_too_long(key: SM2PrivateKey) -> None:
    with pytest.raises(CipherInputError):
        sm2_sign(key, b"x", user_id=b"u" * 8192)


def test_library_failure_becomes_crypto_error(key: SM2PrivateKey, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = get_backend("tongsuo")

    def broken(*_args: object) -> tuple[int, int]:
        raise RuntimeError("library exploded")

    monkeypatch.setattr(backend, "sign_digest", broken)
    with pytest.raises(CryptoError) as err:
        backend.sign(key, b"x")
    assert err.value.code == "E9101" and "tongsuo" in err.value.message


def test_portable_fallback_when_no_c_library_imports(key: SM2PrivateKey, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the C backends' modules unimportable, the registry falls back to pure-Python gmssl."""
    missing = ("billing_core.crypto.backends._not_installed", "Missing")
    table = {name: (missing if name != "gmssl" else where) for name, where in registry.BACKENDS.items()}
    monkeypatch.setattr(registry, "BACKENDS", table)
    monkeypatch.setattr(registry, "_instances", {})
    assert crypto.available_backends() == ["gmssl"]
    assert get_backend().name == "gmssl"
    signature = sm2_sign(key, b"bill")
    assert sm2_verify(key.public_key, b"bill", signature, backend="gmssl")
    with pytest.raises(BackendUnavailableError) as err:
        get_backend("tongsuo")
    assert "tongsuo" in err.value.message
