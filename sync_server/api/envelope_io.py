"""Decoding requests and signing answers for both HIS and terminal blueprints.

Every answer is a signed response envelope (spec §1.4), failures included. When the caller is
known the answer is signed with its key; when the envelope is unusable or the appid unknown
there is no key to sign with, so the failure is signed with an empty key under the appid as
received (clients see a well-formed envelope with the code and Chinese text).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request

from billing_core import envelope
from billing_core.errors import BillingError
from billing_core.ids import new_noise
from sync_server.api.access import take_token
from sync_server.errors import CallerDisabledError, ServerError
from sync_server.security.auth import Caller, CallerCache

log = logging.getLogger(__name__)


def _respond(appid: str, key: str, result: str, message: Any) -> Response:
    body = envelope.encode_response(appid, key, result, message, noise=new_noise())
    return Response(envelope.dumps(body), status=200, mimetype="application/json")


def handle(handler: Callable[[Caller, dict[str, Any]], Any]) -> Response:
    """Decode and verify the request, run ``handler(caller, data)``, sign its answer or failure."""
    cache: CallerCache = current_app.extensions["sync_callers"]
    raw = request.get_data()
    appid, key = "", ""
    try:
        obj = json.loads(raw)
        if isinstance(obj, dict) and isinstance(obj.get("appid"), str):
            appid = obj["appid"]
    except ValueError:
        pass
    try:
        req = envelope.decode_request(raw, cache.key_for)
        caller = cache.get(req.appid)
        if caller is None or not caller.enabled:
            raise CallerDisabledError()
        key = caller.key
        take_token(req.data)  # the signed session token, if any (api/access.py)
        result = handler(caller, req.data)
        return _respond(appid, key, envelope.SUCCESS, "成功" if result is None else result)
    except BillingError as exc:
        if not key and appid:
            known = cache.get(appid)
            key = known.key if known is not None else ""
        return _respond(appid, key, exc.code, exc.message)
    except Exception:  # noqa: BLE001 - never a stack trace to HIS: log it, answer an incident id
        incident = uuid.uuid4().hex[:12]
        log.exception("incident %s", incident)
        return _respond(appid, key, ServerError.code, f"{ServerError.default_message}（事件号{incident}）")
