"""The window's terminal TOML: emergency limits read as the terminal runtime reads them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflows.terminal.config import ConfigError
from workflows.terminal.config_file import load_config

pytestmark = pytest.mark.gui

BASE = """
[server]
url = "http://127.0.0.1:18000"
appid = "TERM01"
key = "k"

[window]
place_code = "001"
"""


def test_limits_and_terminal_id_default(tmp_path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(BASE + '\n[limits]\nmax_bills = 3\nmax_total = "900.00"\n', encoding="utf-8")
    cfg = load_config(path)
    assert cfg.limits.max_bills == 3 and cfg.limits.max_total == Decimal("900.00")
    assert cfg.terminal_id == ""  # build_from_config then uses the appid, as the server requires


def test_unknown_limit_key_is_refused(tmp_path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(BASE + "\n[limits]\nmax_bill = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[limits\]") as exc:
        load_config(path)
    assert exc.value.code == "E5800"
