"""The terminal's ``[payment]`` table: read into PaymentSettings, every problem named."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.errors import ConfigError
from workflows.payment_config import payment_settings
from workflows.terminal.config import WindowConfigError
from workflows.terminal.config_file import load_config

pytestmark = pytest.mark.unit

TOML = """
[server]
url = "http://127.0.0.1:18000"
appid = "TERM01"
key = "k"
[window]
place_code = "003"
[payment]
url = "http://127.0.0.1:18091"
mch_id = "1900000109"
key_file = "{key_file}"
timeout = 5
qr_deadline = 90
"""


def test_sectioned_terminal_file_carries_the_payment_platform(tmp_path: Path) -> None:
    key_file = tmp_path / "payment.key"
    key_file.write_text("demo-payment-key-2026-hmac-sha256\n", encoding="utf-8")
    path = tmp_path / "kiosk.toml"
    path.write_text(TOML.format(key_file=key_file), encoding="utf-8")
    cfg = load_config(path)
    assert cfg.payment is not None
    assert (cfg.payment.url, cfg.payment.mch_id, cfg.payment.timeout, cfg.payment.qr_deadline) == (
        "http://127.0.0.1:18091", "1900000109", 5.0, 90.0)
    assert cfg.payment.key == "demo-payment-key-2026-hmac-sha256" and "hmac" not in repr(cfg.payment)
    session = cfg.payment.session()
    assert session.client.timeout == 5.0 and session.qr_deadline == 90.0
    path.write_text(TOML.format(key_file=tmp_path / "missing.key"), encoding="utf-8")
    with pytest.raises(WindowConfigError, match=r"\[payment\]\.key_file"):
        load_config(path)


def test_no_table_means_no_payments_and_bad_tables_name_the_key() -> None:
    assert payment_settings(None) is None
    good = {"url": "https://pay.example", "mch_id": "1", "key": "k"}
    for bad, word in (({**good, "url": "pay.example"}, "url"), ({**good, "mch_id": ""}, "mch_id"),
                      ({**good, "key": ""}, "key"), ({**good, "channel": "paypal"}, "channel"),
                      ({**good, "timeout": 0}, "timeout"), ({**good, "code_deadline": True}, "code_deadline")):
        with pytest.raises(ConfigError, match=word) as exc:
            payment_settings(bad)
        assert exc.value.code == "E8701"
