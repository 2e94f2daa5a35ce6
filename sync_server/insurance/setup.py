"""The process's insurance client, built from the server's configuration (issue 16 §3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from billing_core.breaker import Breaker
from billing_core.clock import CST, Clock
from sync_server.config import ServerConfig
from sync_server.connectors.insurance import InsuranceClient
from sync_server.connectors.insurance_crypto import EnvelopeCipher
from sync_server.connectors.insurance_envelope import Institution
from sync_server.connectors.insurance_gateway import URL_STYLES
from sync_server.connectors.insurance_transport import Endpoint, InsuranceTransport
from sync_server.insurance.journal import DbJournal


def insurance_client(cfg: ServerConfig, engine: Engine, clock: Clock) -> InsuranceClient | None:
    """The client every thread shares (None when ``insurance_url`` is empty).

    :raises ValueError: an unknown URL style or crypto mode, or the SM4/SM2 mode without keys.
    """
    if not cfg.insurance_url:
        return None
    if cfg.insurance_url_style not in URL_STYLES:
        raise ValueError(f"insurance_url_style must be one of {', '.join(URL_STYLES)}")
    cipher = None
    if cfg.insurance_crypto == "sm4sm2":
        if not (cfg.insurance_platform_public_key and cfg.insurance_hospital_private_key):
            raise ValueError("insurance_crypto = sm4sm2 needs insurance_platform_public_key and "
                             "insurance_hospital_private_key")
        cipher = EnvelopeCipher(cfg.insurance_platform_public_key, cfg.insurance_hospital_private_key)
    elif cfg.insurance_crypto != "plain":
        raise ValueError("insurance_crypto must be plain or sm4sm2")

    def now() -> datetime:
        return clock.now().astimezone(CST)

    institution = Institution(cfg.insurance_fixmedins_code, cfg.insurance_fixmedins_name, cfg.insurance_area_code,
                              cfg.insurance_recer_sys_code, cfg.insurance_infver,
                              cfg.insurance_signtype or (cipher.signtype if cipher else ""))
    endpoint = Endpoint(cfg.insurance_url, cfg.insurance_url_style, cfg.insurance_paasid, cfg.insurance_pass_token,
                        cfg.insurance_connect_timeout, cfg.insurance_timeout)
    breaker = Breaker(clock, failure_threshold=3, open_seconds=2.0, single_probe=False)
    transport = InsuranceTransport(endpoint, institution, cipher=cipher,
                                   journal=DbJournal(engine, clock, cfg.insurance_fixmedins_code),
                                   breaker=breaker, now=now)
    return InsuranceClient(transport, sign_hours=cfg.insurance_sign_hours, now=now)
