"""Terminals refuse plain http:// server URLs outside demo mode (issue 19 §2), in both config
layouts, with the Chinese message naming the setting; several URLs make a failover list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from billing_core.crypto.keys import SM2PrivateKey
from workflows.terminal.builder import sync_client
from workflows.terminal.config_file import load_config
from workflows.terminal.server_urls import InsecureServerUrlError, ServerUrlError, server_urls

pytestmark = pytest.mark.unit


def _sectioned(tmp_path: Path, url: str, extra: str = "") -> Path:
    path = tmp_path / "window.toml"
    path.write_text(f'[server]\nurl = {url}\nappid = "T1"\nkey = "k"\n{extra}\n[window]\nplace_code = "001"\n',
                    encoding="utf-8")
    return path


def test_http_to_a_lan_host_is_refused_with_the_setting_named(tmp_path: Path) -> None:
    path = _sectioned(tmp_path, '"http://10.1.2.3:8080"')
    with pytest.raises(InsecureServerUrlError) as err:
        load_config(path)
    assert err.value.code == "E5150"
    assert "[server].url" in err.value.message and "http://10.1.2.3:8080" in err.value.message
    assert "https" in err.value.message and "演示模式" in err.value.message


def test_one_http_url_in_a_list_is_enough_to_refuse(tmp_path: Path) -> None:
    with pytest.raises(InsecureServerUrlError):
        load_config(_sectioned(tmp_path, '["https://ebill-a.hosp.local", "http://ebill-b.hosp.local:8080"]'))


def test_demo_mode_allows_http_anywhere(tmp_path: Path) -> None:
    cfg = load_config(_sectioned(tmp_path, '"http://10.1.2.3:8080"', "demo = true"))
    assert cfg.demo and cfg.server_urls == ["http://10.1.2.3:8080"]


def test_loopback_http_is_not_a_network_link(tmp_path: Path) -> None:
    for url in ("http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"):
        assert server_urls(url, demo=False, where="x") == [url]


def test_https_list_with_a_ca_file_builds_a_failover_client(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    cfg = load_config(_sectioned(tmp_path, '["https://ebill-a.hosp.local:8443/", "https://ebill-b.hosp.local:8443"]',
                                 'ca_file = "ca.pem"'))
    assert cfg.server_url == "https://ebill-a.hosp.local:8443"
    assert cfg.server_urls == ["https://ebill-a.hosp.local:8443", "https://ebill-b.hosp.local:8443"]
    sync = sync_client(cfg)
    assert sync.base_urls == cfg.server_urls and sync.base_url == cfg.server_urls[0]
    assert sync.verify == str(tmp_path / "ca.pem")


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(Exception) as err:
        load_config(_sectioned(tmp_path, '"https://ebill.hosp.local"', 'ca_file = "nope.pem"'))
    assert "[server].ca_file" in str(err.value)


def test_malformed_and_empty_urls(tmp_path: Path) -> None:
    for bad in ("ftp://x", "https://", "ebill.hosp.local:8080"):
        with pytest.raises(ServerUrlError) as err:
            server_urls(bad, demo=True, where="[server].url")
        assert err.value.code == "E5151"
    with pytest.raises(ServerUrlError):
        server_urls([], demo=True, where="[server].url")


def test_the_flat_runtime_layout_checks_the_same_rule(tmp_path: Path) -> None:
    raw = {"terminal_id": "T1", "appid": "T1", "key": "k", "place_code": "001", "data_dir": str(tmp_path),
           "private_key": f"{SM2PrivateKey.generate().d:064x}", "server_url": "http://192.168.0.9:8080"}
    path = tmp_path / "runtime.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(InsecureServerUrlError) as err:
        load_config(path)
    assert "server_url" in err.value.message
    path.write_text(json.dumps(raw | {"demo": True}), encoding="utf-8")
    assert load_config(path).server_urls == ["http://192.168.0.9:8080"]
