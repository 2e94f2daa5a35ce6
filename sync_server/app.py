"""The Flask application factory and the shared context it builds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from sync_server.api import health, his_api, terminal_api
from sync_server.background.worker import Worker
from sync_server.config import ServerConfig, load_config
from sync_server.connectors.upstream import Upstream
from sync_server.context import ServerContext
from sync_server.security.auth import CallerCache
from sync_server.security.signing import load_or_create_keys
from sync_server.seed import ensure_demo_json, seed
from sync_server.store.db import make_engine, run_migrations
from sync_server.store.liveness import Liveness

log = logging.getLogger(__name__)


def build_context(cfg: ServerConfig) -> ServerContext:
    """Engine (migrated to head), platform client, server keys and liveness lock for one process."""
    Path(cfg.data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(cfg.db_url, cfg.database_schema or None)
    run_migrations(engine)
    private, public = load_or_create_keys(Path(cfg.data_dir))
    upstream = Upstream(cfg.finance_url, cfg.finance_appid, cfg.finance_key,
                        connect_timeout=cfg.finance_connect_timeout, timeout=cfg.finance_timeout)
    ctx = ServerContext(config=cfg, engine=engine, upstream=upstream, sm2_private=private, sm2_public=public)
    ctx.liveness = Liveness(engine, ctx.instance).hold()
    return ctx


def _seed(ctx: ServerContext) -> None:
    """First-start seeding (idempotent): demo callers, users, billing points, demo.json."""

    if ctx.config.seed_demo:
        seed(ctx)
        ensure_demo_json(ctx)


def prepare(cfg: ServerConfig) -> None:
    """Migrate and seed the database once, then let go of it (the multi-process supervisor)."""
    ctx = build_context(cfg)
    try:
        _seed(ctx)
    finally:
        if ctx.liveness is not None:
            ctx.liveness.release()
        ctx.engine.dispose()


def create_app(config: ServerConfig | dict[str, Any] | None = None) -> Flask:
    """Build the server app.

    :param config: a ServerConfig, or overrides applied on top of file + environment
        (see sync_server.config). Migrations run and first-start seeding happens here; the
        outbox worker thread starts unless ``worker`` is ``"none"``.
    """

    cfg = config if isinstance(config, ServerConfig) else load_config(config)
    ctx = build_context(cfg)
    _seed(ctx)
    app = Flask("sync_server")
    app.extensions["sync_server"] = ctx
    app.extensions["sync_callers"] = CallerCache(ctx.engine)
    app.register_blueprint(his_api.bp)
    app.register_blueprint(terminal_api.bp)
    app.register_blueprint(health.bp)
    if cfg.worker == "thread":
        app.extensions["sync_worker"] = Worker(ctx)
        app.extensions["sync_worker"].start()
    return app
