"""The upgrade fixtures cover every schema version: a new server migration (versions/) or terminal
store migration without a fixture of the release that introduced it fails here (docs/UPGRADE.md
says how to add one: run tests/fixtures/upgrade/make_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.upgrade.rig import FIXTURES, manifest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
VERSIONS = ROOT / "sync_server" / "store" / "migrations" / "versions"
MAX_BYTES = 300 * 1024


def test_every_server_revision_has_a_fixture() -> None:
    from sync_server.store.migrations import HEAD

    revisions = sorted(p.stem[:4] for p in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert HEAD in revisions
    m = manifest()
    missing = [r for r in revisions if r not in m["revisions"]]
    assert not missing, f"no upgrade fixture for migration(s) {missing}: run make_fixtures.py (docs/UPGRADE.md)"
    for rev, fixture in m["revisions"].items():
        entry = m["server"][fixture]
        assert fixture >= rev, f"{rev} mapped to an older database {fixture}"
        assert (FIXTURES / entry["path"] / "sync_server.db.gz").is_file()
    # several migrations released in one commit share that commit's database
    assert {m["server"][f]["revision"] for f in m["revisions"].values()} == set(m["server"])


def test_every_server_fixture_holds_the_data_the_upgrade_tests_check() -> None:
    for kind in ("server", "postgresql"):
        for entry in manifest()[kind].values():
            assert len(entry["bills"]) == 3 and all(b["lookup"].get("billNo") for b in entry["bills"])
            assert entry["steps"]["writeOffEBill"][0] == "S0000"
            assert entry["steps"]["queuedWriteOff"][0] == "S0000" and entry["counts"]["outbox"] >= 1
            assert entry["counts"]["stock_ranges"] > 0 and entry["counts"]["audit_log"] > 0
            # every version with a terminal API has a paired terminal with an emergency journal
            if entry["revision"] >= "0002":
                em = entry["emergency"]
                assert len(em["uploaded"]) == 3 and len(em["pending"]) == 2
                assert (FIXTURES / entry["path"] / "terminal.sqlite3.gz").is_file()


def test_postgresql_dumps_cover_the_oldest_and_a_middle_revision() -> None:
    m = manifest()
    dumped = sorted(m["postgresql"])
    assert dumped[0] == min(m["server"]) and len(dumped) >= 2
    for entry in m["postgresql"].values():
        assert "CREATE TABLE" in (FIXTURES / entry["dump"]).read_text(encoding="utf-8")


def test_every_terminal_migration_has_a_fixture() -> None:
    from offline_store.migrations import SCRIPTS
    from offline_store.window_bills import SCRIPTS as WINDOW_SCRIPTS

    names = [n for n, _ in SCRIPTS] + [f"window_{n}" for n, _ in WINDOW_SCRIPTS]
    missing = [n for n in names if n not in manifest()["terminal"]]
    assert not missing, f"no terminal store fixture for {missing}: run make_fixtures.py (docs/UPGRADE.md)"


def test_fixtures_stay_small() -> None:
    files = [f for f in FIXTURES.rglob("*") if f.is_file()]
    big = [(str(f.relative_to(FIXTURES)), f.stat().st_size) for f in files if f.stat().st_size > MAX_BYTES]
    assert not big
    assert sum(f.stat().st_size for f in files) < 5 * 1024 * 1024
