"""The one terminal config (both layouts) and the one builder (issue 13 §6)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from billing_core.crypto.keys import SM2PrivateKey
from workflows.errors import ConfigError
from workflows.terminal.builder import build_terminal
from workflows.terminal.config import TerminalConfig, WindowConfigError
from workflows.terminal.config_file import load_config

pytestmark = pytest.mark.unit

SECTIONED = """
[server]
url = "http://127.0.0.1:9"
appid = "TERM01"
key = "k"

[window]
place_code = "002"

[devices.receipt_printer]
driver = "escpos"
host = "127.0.0.1"
width_mm = 58

[limits]
max_bills = 7

[runtime]
maintain_interval = 0
upload_batch_size = 9
"""


def test_sectioned_layout_gives_the_window_defaults(tmp_path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(SECTIONED, encoding="utf-8")
    cfg = load_config(path)
    assert (cfg.terminal, cfg.place_code, cfg.data_dir) == ("TERM01", "002", tmp_path)
    assert cfg.link == {"failure_threshold": 1} and cfg.top_up == 50
    assert cfg.printer_width_mm == 58 and "width_mm" not in cfg.receipt_printer
    assert (cfg.limits.max_bills, cfg.maintain_interval, cfg.upload_batch_size) == (7, 0.0, 9)


def test_sectioned_errors_keep_the_window_code(tmp_path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(SECTIONED.replace('place_code = "002"', ""), encoding="utf-8")
    with pytest.raises(WindowConfigError, match=r"\[window\]\.place_code") as exc:
        load_config(path)
    assert exc.value.code == "E5800" and isinstance(exc.value, ConfigError)


def _flat(tmp_path, **extra) -> dict:
    raw = {"terminal_id": "T1", "appid": "T1", "key": "k", "server_url": "http://127.0.0.1:9",
           "place_code": "001", "data_dir": str(tmp_path / "d"), "private_key": SM2PrivateKey.generate().to_hex(),
           "hospital_name": "测试医院", "printer": {"driver": "escpos", "port": 9101, "width_mm": 58, "extra": 1},
           "limits": {"max_total": "900.00"}}
    raw.update(extra)
    return raw


def test_flat_runtime_layout_lands_in_the_same_config(tmp_path) -> None:
    path = tmp_path / "terminal.json"
    path.write_text(json.dumps(_flat(tmp_path)), encoding="utf-8")
    cfg = load_config(path)
    assert (cfg.terminal, cfg.hospital, cfg.place_name, cfg.top_up) == ("T1", "测试医院", "", 0)
    # the runtime's printer keys only, with its default host; the roll width kept apart
    assert cfg.receipt_printer == {"driver": "escpos", "host": "127.0.0.1", "port": 9101}
    assert cfg.printer_width_mm == 58 and cfg.link == {} and cfg.limits.max_total == Decimal("900.00")


def test_flat_layout_requires_its_key_and_keeps_its_code(tmp_path) -> None:
    raw = _flat(tmp_path)
    del raw["private_key"]
    path = tmp_path / "terminal.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match="private_key") as exc:
        load_config(path)
    assert exc.value.code == "E8701"


def test_builder_makes_client_store_key_and_workflow(tmp_path) -> None:
    cfg = TerminalConfig(server_url="http://127.0.0.1:9", appid="TERM01", key="k", data_dir=str(tmp_path / "w"),
                         upload_batch_size=7)
    terminal = build_terminal(cfg)
    try:
        assert terminal.identity.terminal_id == "TERM01"
        assert terminal.sync.breaker.failure_threshold == 1  # the window's default: a drop shows at once
        assert terminal.workflow.uploader.batch_size == 7
        assert (tmp_path / "w" / "terminal_sm2.key").exists() and cfg.db_path.exists()
        assert terminal.workflow.printing.printer is None  # no receipt printer configured
    finally:
        terminal.close()
    again = build_terminal(cfg)  # the generated key is kept, not replaced
    try:
        assert again.workflow.signer.public_key_hex == terminal.workflow.signer.public_key_hex
    finally:
        again.close()
