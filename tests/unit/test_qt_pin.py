"""The pinned Qt binding must not leak references to None.

PySide6 6.12.0 (with Python 3.11) drops one reference to None on every call of a C++ method that
returns void; after enough calls the interpreter aborts with "deallocating None". constraints.txt
pins 6.11.3, which does not; this test keeps a future bump from bringing the bug back.
"""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.unit


def test_void_qt_calls_keep_none_refcount() -> None:
    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        obj.setObjectName("probe")
    # Other threads may touch None meanwhile; a leak would show as -2000.
    assert sys.getrefcount(None) - before > -100
