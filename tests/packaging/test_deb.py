"""The .deb (build_spec/deb/build_deb.sh over the server bundle) installs into a clean Debian root
of this machine's release, creates its service account and private data directory, and the
service's own command lines (ExecStartPre = --self-test, ExecStart = serve), run as the service
account the way systemd would, start a server whose ``/health`` answers over TLS through the
nginx config the package ships (issue 19 acceptance). systemd itself does not run in a chroot:
the unit's lines are read from the installed file and run as written (only the port is moved to
a free one)."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.packaging.debian_root import fresh_root
from tests.rigs import tls as tls_rig
from tests.rigs.stack import ROOT, free_port, stop_process, wait_port

pytestmark = pytest.mark.integration

UNIT = "lib/systemd/system/hospital-ebill-server.service"


@pytest.fixture(scope="module")
def installed(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A clean Debian root with the freshly built .deb installed by dpkg."""
    work = tmp_path_factory.mktemp("deb")
    built = subprocess.run(["bash", str(ROOT / "build_spec" / "deb" / "build_deb.sh"), str(bundle.parent.parent),
                            str(work / "out"), "0.1.0"], env=dict(os.environ, DEB_COMPRESS="gzip"),
                           capture_output=True, text=True, check=True, timeout=900)
    deb = Path(built.stdout.strip().splitlines()[-1])
    root = fresh_root(work / "root")
    shutil.copy(deb, root / "tmp" / deb.name)
    done = subprocess.run(["chroot", str(root), "dpkg", "-i", f"/tmp/{deb.name}"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)  # 250 MB: not kept for pytest's last-three-runs


def _unit(root: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read(root / UNIT, encoding="utf-8")
    return unit


def _as_service(root: Path, unit: configparser.ConfigParser, line: str, port: int) -> list[str]:
    """The unit's command line as its user in the root, with the unit's environment."""
    service = unit["Service"]
    # every Environment= line (configparser keeps only the last of a repeated key)
    env = [ln.split("=", 1)[1] for ln in (root / UNIT).read_text(encoding="utf-8").splitlines()
           if ln.startswith("Environment=")]
    argv = [a.replace("8080", str(port)) for a in shlex.split(line)]
    return ["chroot", f"--userspec={service['User']}:{service['Group']}", str(root), "env", *env, *argv]


def test_the_package_creates_its_account_and_private_directories(installed: Path) -> None:
    ids = subprocess.run(["chroot", str(installed), "id", "-u", "ebill"], capture_output=True, text=True, check=True)
    uid = int(ids.stdout)
    for folder in ("var/lib/hospital-ebill", "var/lib/hospital-ebill/server", "var/backups/hospital-ebill"):
        st = (installed / folder).stat()
        assert st.st_uid == uid and st.st_mode & 0o777 == 0o700, folder
    conf = (installed / "etc/hospital-ebill/server.toml").stat()
    assert conf.st_mode & 0o777 == 0o640 and conf.st_uid == 0
    command = installed / "usr/bin/hospital-ebill-server"  # an absolute link inside the root
    assert command.is_symlink() and (installed / os.readlink(command).lstrip("/")).is_file()
    for path in (UNIT, "lib/systemd/system/hospital-ebill-backup.timer", "usr/share/hospital-ebill/nginx/sync_server.conf"):
        assert (installed / path).is_file(), path
    status = subprocess.run(["chroot", str(installed), "dpkg-query", "-W", "-f=${Status} ${Version}", "hospital-ebill"],
                            capture_output=True, text=True, check=True)
    assert status.stdout == "install ok installed 0.1.0"


def test_the_service_starts_and_health_answers_over_tls_through_the_shipped_proxy(
        installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unit = _unit(installed)
    port = free_port()
    pre = subprocess.run(_as_service(installed, unit, unit["Service"]["ExecStartPre"], port), capture_output=True,
                         text=True, timeout=300)
    assert pre.returncode == 0 and "自检通过" in pre.stdout, pre.stdout + pre.stderr
    server = subprocess.Popen(_as_service(installed, unit, unit["Service"]["ExecStart"], port),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    nginx: tls_rig.Nginx | None = None
    try:
        wait_port(port, server, timeout=120)
        ca, cert, key = tls_rig.make_certificates(tmp_path / "tls")
        # the proxy config as the package installed it, not the checkout's copy
        monkeypatch.setattr(tls_rig, "SITE", installed / "usr/share/hospital-ebill/nginx/sync_server.conf")
        nginx = tls_rig.Nginx(tmp_path / "nginx", [port], cert, key)
        checked = nginx.check()
        assert checked.returncode == 0, checked.stderr
        nginx.start()
        reply = requests.get(f"{nginx.url}/health", verify=str(ca), timeout=10)
        assert reply.status_code == 200 and reply.json()["status"] == "ok" and reply.json()["database"] is True
        # the server wrote only where the unit lets it (ReadWritePaths), as the service account
        db = installed / "var/lib/hospital-ebill/server/sync_server.db"
        assert db.is_file() and db.stat().st_uid == (installed / "var/lib/hospital-ebill").stat().st_uid
    finally:
        if nginx is not None:
            nginx.stop()
        stop_process(server)
