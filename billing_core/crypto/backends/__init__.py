"""Registry of SM2 backends: ``get_backend(name=None)`` returns the default (fastest correct one
installed) or the one named. Each backend lives in its own module and is imported only on demand,
so a missing C library just makes that backend unavailable.
"""

from __future__ import annotations

import importlib

from billing_core.crypto.backends.base import SM2Backend
from billing_core.crypto.errors import BackendUnavailableError

#: name -> (module, class). Order = preference for the default: measured fastest first
#: (docs/BENCHMARKS.md, "Crypto"), the pure-Python fallback last.
BACKENDS: dict[str, tuple[str, str]] = {
    "fast": ("billing_core.crypto.backends.fast", "FastBackend"),
    "gmssl_pyx": ("billing_core.crypto.backends.gmssl_pyx", "GmsslPyxBackend"),
    "tongsuo": ("billing_core.crypto.backends.tongsuo", "TongsuoBackend"),
    "gmssl": ("billing_core.crypto.backends.gmssl_pure", "GmsslBackend"),
}

_instances: dict[str, SM2Backend] = {}


def _load(name: str) -> SM2Backend | None:
    if name not in _instances:
        module_name, class_name = BACKENDS[name]
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
            _instances[name] = cls()
        except ImportError:
            return None
    return _instances[name]


def available_backends() -> list[str]:
    """Names of the backends whose library is installed, in order of preference."""
    return [name for name in BACKENDS if _load(name) is not None]


def get_backend(name: str | None = None) -> SM2Backend:
    """The SM2 backend called ``name``, or the preferred installed one when ``name`` is None.

    :raises BackendUnavailableError: (E9102) unknown name, or its library is not installed
    """
    if name is None:
        for candidate in BACKENDS:
            backend = _load(candidate)
            if backend is not None:
                return backend
        raise BackendUnavailableError("没有可用的SM2实现：请安装 gmssl-pyx、tongsuopy 或 gmssl")
    if name not in BACKENDS:
        raise BackendUnavailableError(f"未知的SM2实现：{name}（可选：{'、'.join(BACKENDS)}）")
    backend = _load(name)
    if backend is None:
        raise BackendUnavailableError(f"SM2实现 {name} 不可用：未安装对应的库")
    return backend
