"""The terminal's SM2 key: it signs the window's emergency bills (issue 7 §3, registered with the
server by the issuing workflow's maintain round)."""

from __future__ import annotations

from pathlib import Path

from billing_core.crypto.keys import SM2PrivateKey


def terminal_key(data_dir: Path, configured: str = "") -> str:
    """The configured private key, else one generated once and kept in ``data_dir/terminal_sm2.key``."""
    if configured:
        return configured
    path = data_dir / "terminal_sm2.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{SM2PrivateKey.generate().d:064x}\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
