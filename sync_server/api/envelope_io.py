"""Decoding requests and signing answers for both HIS and terminal blueprints.

Every answer is a signed response envelope (spec §1.4), failures included. When the caller is
known the answer is signed with its key; when the envelope is unusable or the appid unknown
there is no key to sign with, so the failure is signed with an empty key under the appid as
received (clients see a well-formed envelope with the code and Chinese text).

Before a request is handled (issue 14 §7, §8): its body is within Flask's ``MAX_CONTENT_LENGTH``
(E5060), its JSON within the nesting and list limits of sync_server.api.limits (E5061, E5062),
an extra ``guard`` of the blueprint passes (the terminal API's signed stamp), and the envelope was
not accepted before (sync_server.security.replay, E2060). A refused request leaves no record.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from billing_core import envelope
from billing_core.errors import BillingError, SignatureError
from billing_core.ids import new_noise
from sync_server.api import limits
from sync_server.api.access import take_token
from sync_server.errors import BodyTooLargeError, CallerDisabledError, NestingTooDeepError, ServerError
from sync_server.security.attempts import SIGNATURE_FAILED, FailureRecorder
from sync_server.security.audit import Actor
from sync_server.security.auth import Caller, CallerCache
from sync_server.security.replay import Deferred, ReplayGuard

log = logging.getLogger(__name__)

#: An extra check of a verified request before it is handled: (caller, envelope noise) -> None or raise.
Guard = Callable[[Caller, str], None]


def respond(appid: str, key: str, result: str, message: Any, status: int = 200) -> Response:
    """A signed response envelope (an empty key when the caller is unknown)."""
    body = envelope.encode_response(appid, key, result, message, noise=new_noise())
    return Response(envelope.dumps(body), status=status, mimetype="application/json")


def incident_answer(appid: str = "", key: str = "") -> Response:
    """The E5020 answer of an unexpected failure: an incident id, the trace only in the log."""
    incident = uuid.uuid4().hex[:12]
    log.exception("incident %s", incident)
    return respond(appid, key, ServerError.code, f"{ServerError.default_message}（事件号{incident}）")


def _outer(raw: bytes) -> dict[str, Any]:
    """The envelope object as far as it parses (for the appid and sign), limits checked."""
    try:
        obj = json.loads(raw)
    except RecursionError:
        raise NestingTooDeepError(f"报文JSON嵌套超过{limits.MAX_DEPTH}层") from None
    except ValueError:
        return {}  # decode_request answers E2001 with its own message
    limits.check(obj, "报文")
    return obj if isinstance(obj, dict) else {}


def _record_bad_signature(appid: str, exc: BillingError) -> None:
    """Audit a refused signature or unknown appid (rate-limited: security/attempts.py)."""
    recorder: FailureRecorder | None = current_app.extensions.get("sync_failures")
    if recorder is not None:
        recorder.record(SIGNATURE_FAILED, "caller", appid or "-", Actor(appid[:64] or "-", caller=appid[:64] or None),
                        {"code": exc.code, "path": request.path[:120], "remote": request.remote_addr or ""})


def handle(handler: Callable[[Caller, dict[str, Any]], Any], guard: Guard | None = None,
           defer_noise: bool = False) -> Response:
    """Decode and verify the request, run ``handler(caller, data)``, sign its answer or failure.

    :param defer_noise: the handler's first write transaction records the envelope's noise
        (security.replay.record_deferred: the issuing claim), saving a transaction of its own.
    """
    cache: CallerCache = current_app.extensions["sync_callers"]
    replay: ReplayGuard = current_app.extensions["sync_replay"]
    appid, key = "", ""
    claimed: str | None = None
    deferred: Deferred | None = None
    try:
        try:
            raw = request.get_data()
        except RequestEntityTooLarge:
            raise BodyTooLargeError(f"请求报文超过{limits.MAX_BODY_BYTES // (1024 * 1024)}MB上限") from None
        obj = _outer(raw)
        if isinstance(obj.get("appid"), str):
            appid = obj["appid"]
        try:
            req = envelope.decode_request(raw, cache.key_for)
        except RecursionError:
            raise NestingTooDeepError(f"data的JSON嵌套超过{limits.MAX_DEPTH}层") from None
        limits.check(req.data)
        caller = cache.get(req.appid)
        if caller is None or not caller.enabled:
            raise CallerDisabledError()
        key = caller.key
        if guard is not None:
            guard(caller, req.noise)
        if defer_noise:
            deferred = replay.defer(caller.appid, req.noise, str(obj.get("sign", "")))
        else:
            claimed = replay.claim(caller.appid, req.noise, str(obj.get("sign", "")))
        take_token(req.data)  # the signed session token, if any (api/access.py)
        result = handler(caller, req.data)
        claimed = None  # accepted: the record stays
        if deferred is not None:
            pending, deferred = deferred, None
            replay.settle(pending, accepted=True)
        return respond(appid, key, envelope.SUCCESS, "成功" if result is None else result)
    except BillingError as exc:
        if isinstance(exc, (SignatureError, envelope.UnknownCallerError)):
            _record_bad_signature(appid, exc)
        if not key and appid:
            known = cache.get(appid)
            key = known.key if known is not None else ""
        return respond(appid, key, exc.code, exc.message)
    except Exception:  # noqa: BLE001 - never a stack trace to HIS: log it, answer an incident id
        return incident_answer(appid, key)
    finally:
        if claimed is not None:
            _forget(replay, appid, claimed)
        if deferred is not None:
            _settle_refused(replay, deferred)


def _settle_refused(replay: ReplayGuard, deferred: Deferred) -> None:
    try:
        replay.settle(deferred, accepted=False)
    except Exception:  # noqa: BLE001 - as _forget
        log.exception("could not forget the noise of a refused request (appid %s)", deferred.appid)


def _forget(replay: ReplayGuard, appid: str, claimed: str) -> None:
    try:
        replay.forget(appid, claimed)
    except Exception:  # noqa: BLE001 - the answer is already made; a left record only blocks a replay
        log.exception("could not forget the noise of a refused request (appid %s)", appid)
