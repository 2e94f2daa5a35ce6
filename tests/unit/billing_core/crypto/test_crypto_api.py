"""The small public interface: default and named backends, the one-line sign/verify and SM3 calls
other packages use, input limits with their error codes, and the pure-Python fallback when no C
library is installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import billing_core.crypto as crypto
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

ROOT = Path(__file__).resolve().parents[4]


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


FALLBACK_PROBE = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"gmssl_pyx", "tongsuopy", "PySide6", "flask"}:
            raise ModuleNotFoundError(f"blocked: {name}")
        return None
sys.meta_path.insert(0, Block())
from billing_core.crypto import get_backend, available_backends, sm2_sign, sm2_verify, sm3_hex, SM2PrivateKey
from billing_core.crypto import sm3, sm4, sm4_encrypt_ecb, sm4_decrypt_ecb
key = SM2PrivateKey.generate()
sig = sm2_sign(key, b"bill")
print(get_backend().name, available_backends(), sm2_verify(key.public_key, b"bill", sig),
      sm3.IMPLEMENTATION != "gmssl_pyx", sm4.IMPLEMENTATION,
      sm4_decrypt_ecb(b"k" * 16, sm4_encrypt_ecb(b"k" * 16, b"x")) == b"x", sm3_hex(b"abc")[:8])
"""


def test_portable_fallback_without_c_libraries() -> None:
    out = subprocess.run([sys.executable, "-c", FALLBACK_PROBE], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert out == ["gmssl", "['gmssl']", "True", "True", "gmssl", "True", "66c7f0f4"]
