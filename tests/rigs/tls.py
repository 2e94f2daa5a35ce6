"""A self-signed CA and server certificate (openssl CLI) and real nginx running the reverse-proxy
config of deploy/nginx in front of a server port, as an operator installs it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.rigs.stack import ROOT, free_port, stop_process, wait_port

SITE = ROOT / "deploy" / "nginx" / "sync_server.conf"


def make_certificates(out: Path) -> tuple[Path, Path, Path]:
    """(ca.pem, server.crt, server.key): a CA made here and a server certificate it signed for
    127.0.0.1 and localhost."""
    out.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=out, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=Test Hospital IT CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=ebill.hospital.local")
    (out / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
                                 encoding="utf-8")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf")
    return out / "ca.pem", out / "server.crt", out / "server.key"


class Nginx:
    """nginx in the foreground with deploy/nginx/sync_server.conf, its upstream pointed at
    ``upstream_ports`` and its TLS port a free one; everything it writes stays in ``work``."""

    def __init__(self, work: Path, upstream_ports: list[int], cert: Path, key: Path) -> None:
        self.work = work
        self.port = free_port()
        site = SITE.read_text(encoding="utf-8")
        # the only lines an installer changes: upstream hosts, listen port, certificate paths
        servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in upstream_ports)
        site = site.replace("    server 127.0.0.1:8080 max_fails=1 fail_timeout=5s;\n", servers)
        site = site.replace("listen 8443 ssl;", f"listen 127.0.0.1:{self.port} ssl;")
        site = site.replace("/etc/sync_server/tls/server.crt", str(cert))
        site = site.replace("/etc/sync_server/tls/server.key", str(key))
        assert str(cert) in site and f":{upstream_ports[0]} " in site, "deploy/nginx/sync_server.conf changed shape"
        (work / "sites").mkdir(parents=True, exist_ok=True)
        for tmp in ("body", "proxy"):
            (work / tmp).mkdir(exist_ok=True)
        (work / "sites" / "sync_server.conf").write_text(site, encoding="utf-8")
        (work / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {work}/access.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    include {work}/sites/*.conf;
}}
""", encoding="utf-8")
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc: subprocess.Popen[bytes] | None = None

    def check(self) -> subprocess.CompletedProcess[str]:
        """``nginx -t`` on the rendered config."""
        return subprocess.run([self.binary, "-t", "-p", str(self.work), "-c", str(self.work / "nginx.conf")],
                              capture_output=True, text=True, check=False)

    def start(self) -> Nginx:
        """Start nginx and wait for its TLS port."""
        self.proc = subprocess.Popen([self.binary, "-p", str(self.work), "-c", str(self.work / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)
        return self

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_process(self.proc)
