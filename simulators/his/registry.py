"""The operation table: each operation module registers its handlers here by name and kind.

Kinds: ``read`` (no writes), ``write`` (a state change that moves no money: check-in, e-bill
retry) and ``money`` (moves money: requires ``requestId``, idempotent on it, recorded for
``request.query``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulators.his.context import HisContext

Handler = Callable[[HisContext, sqlite3.Connection, str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Op:
    """One operation of the interface."""

    name: str
    kind: str
    handler: Handler
    title: str


OPS: dict[str, Op] = {}


def op(name: str, kind: str, title: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` as operation ``name``."""
    def deco(fn: Handler) -> Handler:
        OPS[name] = Op(name, kind, fn, title)
        return fn
    return deco
