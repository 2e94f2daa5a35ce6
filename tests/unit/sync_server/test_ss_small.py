"""Config layering, password hashing, and the fast QR PNG (decoded with OpenCV)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sync_server.bills.qr_png import qr_png
from sync_server.config import DEMO_FINANCE_APPID, load_config
from sync_server.security.auth import hash_password

pytestmark = pytest.mark.unit


def test_config_layers(tmp_path: Path) -> None:
    cfg_file = tmp_path / "c.json"
    cfg_file.write_text(json.dumps({"finance_timeout": 7, "emergency_block_size": 99, "unknown": 1}))
    cfg = load_config({"busy_wait": 3}, path=cfg_file,
                      env={"DATABASE_URL": "postgresql://u@h/db", "SYNC_FINANCE_TIMEOUT": "2.5",
                           "SYNC_DATA_DIR": str(tmp_path)})
    assert cfg.finance_timeout == 2.5  # environment beats the file
    assert cfg.emergency_block_size == 99 and cfg.busy_wait == 3.0
    assert cfg.db_url == "postgresql://u@h/db" and cfg.data_dir == tmp_path
    assert cfg.finance_appid == DEMO_FINANCE_APPID
    default = load_config(env={})
    assert default.db_url.startswith("sqlite:///") and default.db_url.endswith("sync_server.db")
    with pytest.raises(KeyError):
        load_config({"nope": 1}, env={})


def test_password_hash_is_argon2_and_salted() -> None:
    a, b = hash_password("secret"), hash_password("secret")
    assert a.startswith("$argon2id$") and a != b


@pytest.mark.parametrize("payload", ["01,44060226,0001900001,e91753,386.50,20261124",
                                     "01,44060226,0005900200,0a0b0c,12345678.90,20261231"])
def test_qr_png_decodes_to_the_payload(payload: str) -> None:
    png = qr_png(payload)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert text == payload
