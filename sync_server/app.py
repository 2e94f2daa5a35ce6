"""The Flask application factory and the shared context it builds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from billing_core.breaker import Breaker
from billing_core.clock import Clock, SystemClock
from sync_server.admin_web import views as admin_web
from sync_server.api import health, his_api, http_errors, insurance_api, terminal_api
from sync_server.api.notice_guard import LookupLimiter
from sync_server.background.worker import Worker
from sync_server.backup.after_restore import reconcile_after_restore
from sync_server.baseinfo import mapping
from sync_server.config import ServerConfig, load_config
from sync_server.connectors.finance import FinanceClient
from sync_server.context import ServerContext
from sync_server.insurance.setup import insurance_client
from sync_server.security.attempts import FailureRecorder
from sync_server.security.auth import CallerCache
from sync_server.security.replay import ReplayGuard
from sync_server.security.signing import load_or_create_keys
from sync_server.seed import ensure_demo_json, seed
from sync_server.store import sealing
from sync_server.store.db import check_data_key, make_engine, run_migrations
from sync_server.store.files import private_file, secure_data_dir
from sync_server.store.liveness import Liveness

log = logging.getLogger(__name__)


#: The server's breaker towards the platform: open after this many refusals to connect in a row ...
BREAKER_AFTER = 3
#: ... for this many seconds, then every request tries again (a shared probe: each HIS request
#: falls back to emergency issuing on its own, none should wait for another's probe).
BREAKER_OPEN = 2.0


def platform_client(cfg: ServerConfig, clock: Clock) -> FinanceClient:
    """The process's one platform client (connectors.policy), shared by every thread.

    Short timeouts, because the HIS waits on the other side; no query retries, because the HIS
    retries itself and the lookup after a lost answer must fail fast into emergency issuing.
    """
    breaker = Breaker(clock, failure_threshold=BREAKER_AFTER, open_seconds=BREAKER_OPEN, single_probe=False)
    return FinanceClient(cfg.finance_url, cfg.finance_appid, cfg.finance_key, timeout=cfg.finance_timeout,
                         connect_timeout=cfg.finance_connect_timeout, pool_size=16, query_retries=0,
                         breaker=breaker)


def build_context(cfg: ServerConfig) -> ServerContext:
    """Engine (migrated to head), platform client, server keys and liveness lock for one process.

    Whoever builds a context shuts it down with :meth:`ServerContext.close` (threads joined, lock
    released, pools closed).
    """
    secure_data_dir(Path(cfg.data_dir))
    if not cfg.database_url:  # the default SQLite file: private before SQLite creates its journals
        private_file(Path(cfg.data_dir) / "sync_server.db")
    engine = make_engine(cfg.db_url, cfg.database_schema or None)
    # the personal-data key before the migrations: 0008 seals the rows written before it
    sealer = sealing.load_or_create_key(Path(cfg.data_dir))
    sealing.attach(engine, sealer)
    run_migrations(engine)
    check_data_key(engine, sealer)
    private, public = load_or_create_keys(Path(cfg.data_dir))
    clock = SystemClock()
    ctx = ServerContext(config=cfg, engine=engine, upstream=platform_client(cfg, clock), sm2_private=private,
                        sm2_public=public, clock=clock, insurance=insurance_client(cfg, engine, clock))
    # the PostgreSQL lock's session watch is one of the context's threads (joined by ctx.close())
    ctx.liveness = Liveness(engine, ctx.instance).hold(
        start=lambda watch: ctx.threads.start("liveness", watch, ctx.stop))
    return ctx


def _seed(ctx: ServerContext) -> None:
    """First-start seeding in demo mode only (idempotent): demo callers, users, billing points,
    demo.json. A real start seeds nothing: its callers and users come from the admin CLI. The
    first start after a restore reconciles the restored emergency stock (sync_server.backup)."""

    if ctx.config.seed_demo:
        seed(ctx)
        ensure_demo_json(ctx)
    # after ``admin restore``: retire the restored emergency blocks before any request is served
    reconcile_after_restore(ctx)


def prepare(cfg: ServerConfig) -> None:
    """Migrate and seed the database once, then let go of it (the multi-process supervisor)."""
    ctx = build_context(cfg)
    try:
        _seed(ctx)
    finally:
        ctx.close()


def create_app(config: ServerConfig | dict[str, Any] | None = None) -> Flask:
    """Build the server app.

    :param config: a ServerConfig, or overrides applied on top of file + environment
        (see sync_server.config). Migrations run and first-start seeding happens here; the
        outbox worker thread starts unless ``worker`` is ``"none"``. Shut down with
        ``app.extensions["sync_server"].close()`` (every thread the server started is joined).
    """

    cfg = config if isinstance(config, ServerConfig) else load_config(config)
    mapping.configured(cfg.code_mapping_file)  # a mapping file that cannot be read stops start-up (E1031)
    ctx = build_context(cfg)
    _seed(ctx)
    app = Flask("sync_server")
    if cfg.trusted_proxies > 0:
        # behind the TLS proxy every peer is the proxy: the client's address (audit rows, the
        # notice page's per-address limit) comes from the header the trusted proxies appended
        n = cfg.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    app.extensions["sync_server"] = ctx
    app.extensions["sync_callers"] = CallerCache(ctx.engine)
    app.extensions["sync_replay"] = ReplayGuard(ctx.engine)
    app.extensions["sync_notice_limiter"] = LookupLimiter()
    http_errors.register(app)  # body limit; JSON envelopes or plain text, never an HTML error page
    app.extensions["sync_failures"] = FailureRecorder(ctx.engine, ctx.clock)
    app.register_blueprint(his_api.bp)
    app.register_blueprint(terminal_api.bp)
    app.register_blueprint(insurance_api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(admin_web.bp)  # /admin: the terminal-management web (issue 19 §1)
    if cfg.worker == "thread":
        app.extensions["sync_worker"] = Worker(ctx)
        app.extensions["sync_worker"].start()
    return app
