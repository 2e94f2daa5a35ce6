"""Reading a terminal's config file, whichever of the two layouts it uses.

The sectioned TOML (``[server]``, ``[window]`` …) of the cashier app and kiosk is read by
:mod:`workflows.terminal.config`; the older flat layout of the headless runtime by
:mod:`workflows.terminal.flat_config`. Both end in the one :class:`TerminalConfig`.
"""

from __future__ import annotations

from pathlib import Path

from workflows.terminal.config import TerminalConfig, from_sections, read_file
from workflows.terminal.flat_config import from_flat


def load_config(path: str | Path) -> TerminalConfig:
    """Read and check a terminal file of either layout; :raises ConfigError: naming the key."""
    p = Path(path)
    raw = read_file(p)
    if isinstance(raw.get("server"), dict):
        return from_sections(raw, p)
    return from_flat(raw, p)
