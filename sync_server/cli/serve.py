"""``python -m sync_server [serve] [--host H] [--port N] [--data-dir DIR] [--finance-url URL] ...``

Starts the server under waitress (works on Windows servers too) on SQLite in the data dir
unless DATABASE_URL names another database. Only in demo mode (``--demo`` or ``SYNC_DEMO=1``)
does the first start seed demo callers, users, billing points and write DIR/demo.json (0600);
a real start seeds nothing. The finance key comes from ``SYNC_FINANCE_KEY`` or a 0600 file
(``--finance-key-file``), never from the command line. On Linux ``--processes N`` (N > 1) or ``--server gunicorn`` serves under gunicorn instead
(N worker processes on the port, sync_server/serving); waitress stays for Windows, single-process
starts and the in-process demo.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path

from waitress import serve

from sync_server.app import create_app
from sync_server.config import (
    DEMO_FINANCE_APPID,
    DEMO_FINANCE_KEY,
    SecretFileError,
    ServerConfig,
    load_config,
    read_secret_file,
)
from sync_server.connectors.masking import install_log_masking
from sync_server.store.files import secure_umask


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the app, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m sync_server serve", description="院内电子票据同步服务器")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--finance-url", default=None, help="财政平台方法前缀，如 http://h:p/medical-web/api/medical")
    parser.add_argument("--finance-appid", default=None, help=f"默认 {DEMO_FINANCE_APPID}")
    parser.add_argument("--finance-key-file", default=None,
                        help=f"财政平台密钥文件（权限 600）；或环境变量 SYNC_FINANCE_KEY；默认演示密钥 {DEMO_FINANCE_KEY}")
    parser.add_argument("--demo", action="store_true", default=None,
                        help="演示模式：首次启动生成演示调用方、用户与 demo.json（正式部署勿用）；或 SYNC_DEMO=1")
    parser.add_argument("--config", default=None, help="JSON 或 TOML 配置文件")
    # Few threads: on a small server the GIL and SQLite's single writer make more threads slower
    # (docs/BENCHMARKS.md); raise it when the platform answers slowly.
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--worker", choices=("thread", "none"), default=None)
    # One process uses one core (the GIL): N processes share the port under gunicorn (Linux).
    parser.add_argument("--processes", type=int, default=None, help="服务进程数（仅 Linux，默认 1）")
    parser.add_argument("--server", choices=("auto", "gunicorn", "waitress"), default="auto",
                        help="HTTP 服务：auto（多进程用 gunicorn，否则 waitress）、gunicorn（仅 Linux）、waitress")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_masking()  # no ID, phone or insurance number in any log line (issue 14)
    # one INFO line per platform call costs real time at hundreds of bills/s; warnings still show
    logging.getLogger("sync_server.connectors").setLevel(logging.WARNING)
    # Many more HIS connections than worker threads is the design (few threads, see --threads):
    # waitress would log "Task queue depth is N" for nearly every request under load.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    secure_umask()
    overrides = {"data_dir": args.data_dir, "finance_url": args.finance_url, "finance_appid": args.finance_appid,
                 "worker": args.worker, "seed_demo": args.demo, "public_url": f"http://{args.host}:{args.port}"}
    try:
        if args.finance_key_file:
            overrides["finance_key"] = read_secret_file(Path(args.finance_key_file), "--finance-key-file")
        cfg = load_config({k: v for k, v in overrides.items() if v is not None}, path=args.config)
    except SecretFileError as err:
        parser.error(str(err))
    processes = cfg.processes if args.processes is None else args.processes
    if processes < 1:
        parser.error("--processes 必须为正整数")
    if processes > 1 and not sys.platform.startswith("linux"):
        parser.error("--processes 大于 1 仅支持 Linux（Windows 请运行单进程）")

    if args.server == "gunicorn" and sys.platform == "win32":
        parser.error("gunicorn 仅支持 Linux（Windows 请用 --server waitress）")
    if args.server == "gunicorn" or (args.server == "auto" and processes > 1):
        return _gunicorn(args, cfg, processes)

    app = create_app(cfg)
    _banner(args, cfg)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(app, threads=args.threads, connection_limit=1000, channel_timeout=60, ident="sync_server",
              host=args.host, port=args.port)
    finally:
        # SIGTERM ends serve() with SystemExit: stop and join the worker, carry pool and batch threads
        app.extensions["sync_server"].close()
    return 0


def _banner(args: argparse.Namespace, cfg: ServerConfig) -> None:
    demo = Path(cfg.data_dir) / "demo.json"
    print(f"同步服务器: http://{args.host}:{args.port}/medical-web/api/medical/<method>", flush=True)
    print(f"财政平台: {cfg.finance_url}（appid {cfg.finance_appid}）", flush=True)
    if demo.exists():
        callers = json.loads(demo.read_text(encoding="utf-8")).get("callers", [])
        print("演示调用方: " + ", ".join(c["appid"] for c in callers) + f"（密钥见 {demo}）", flush=True)


def _gunicorn(args: argparse.Namespace, cfg: ServerConfig, processes: int) -> int:
    """Serve under gunicorn (Linux): its master migrates and seeds once, then forks the workers."""
    from sync_server.serving import runner  # imports gunicorn, which needs fcntl: Linux only

    _banner(args, cfg)
    return runner.run(cfg, args.host, args.port, processes, args.threads)
