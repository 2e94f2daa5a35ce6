"""The sync server URLs of a terminal: one or several hosts, https outside demo mode.

``[server] url`` is one base URL or a list (two server hosts on one database: the client fails
over in order, workflows.sync_client). Outside demo mode every URL must be ``https://`` — the
requests carry patients' names, ID numbers and amounts and the appid signature does not hide
them — except a loopback address (127.0.0.0/8, ::1, localhost): a server on the same machine,
where no network carries the traffic. ``[server] demo = true`` (flat layout: ``demo = true``)
allows plain http anywhere, for a demonstration on a LAN.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from workflows.errors import ConfigError


class ServerUrlError(ConfigError):
    """A server URL that is not an http(s) URL with a host."""

    code = "E5151"
    default_message = "同步服务器地址格式错误"


class InsecureServerUrlError(ConfigError):
    """A plain http:// server URL outside demo mode."""

    code = "E5150"
    default_message = "同步服务器地址必须使用https"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_urls(value: Any, *, demo: bool, where: str) -> list[str]:
    """The checked list of base URLs of ``value`` (a string or a list of strings).

    :param demo: demo mode: plain http allowed to any host.
    :param where: names the setting in messages (e.g. ``终端配置文件x.toml的[server].url``).
    :raises ServerUrlError: E5151 for an empty list or a malformed URL.
    :raises InsecureServerUrlError: E5150 for http:// to a non-loopback host outside demo mode.
    """
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, list | tuple) else []
    urls = [str(u).strip().rstrip("/") for u in items if str(u).strip()]
    if not urls:
        raise ServerUrlError(f"{where}缺少同步服务器地址")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerUrlError(f"{where}不是有效的同步服务器地址：{url}（应为 https://主机:端口）")
        if parts.scheme == "http" and not demo and not _loopback(parts.hostname):
            raise InsecureServerUrlError(
                f"{where}使用明文http：{url}。正式环境必须使用https://（经TLS反向代理），"
                "仅演示模式（[server] demo = true）可用http")
    return urls
