"""Qt runs offscreen for every renderer test (no display on CI)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
