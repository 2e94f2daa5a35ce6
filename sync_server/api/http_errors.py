"""Flask-level failures answered without HTML (issue 14 §8).

Errors raised before a blueprint's handler runs, or outside :func:`envelope_io.handle` (an
unknown URL, a GET on a method URL, a body over ``MAX_CONTENT_LENGTH`` read elsewhere, a bug in
a page), would be Werkzeug's HTML pages. On the interface paths they are answered with a signed
failure envelope (unsigned key: the caller is not known at that point) like every other refusal;
elsewhere (the H5 pages, health) with plain text. A 500 never shows a stack trace.
"""

from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from sync_server.api import limits
from sync_server.api.envelope_io import incident_answer, respond
from sync_server.errors import BodyTooLargeError, UnknownMethodError

log = logging.getLogger(__name__)

#: URL prefixes whose clients expect the platform's envelope.
API_PREFIXES = ("/medical-web/api/", "/terminal/api/")


def _api() -> bool:
    return request.path.startswith(API_PREFIXES)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if _api():
        if isinstance(exc, RequestEntityTooLarge):
            return respond("", "", BodyTooLargeError.code,
                           f"请求报文超过{limits.MAX_BODY_BYTES // (1024 * 1024)}MB上限", status=413)
        return respond("", "", UnknownMethodError.code, f"不支持的请求：{request.method} {request.path[:200]}",
                       status=status)
    return Response(f"{status} {exc.name}", status=status, mimetype="text/plain")


def _unexpected(exc: Exception) -> Response:
    if _api():
        return incident_answer()
    incident = uuid.uuid4().hex[:12]
    log.exception("incident %s", incident)
    return Response(f"服务器内部错误（事件号{incident}）", status=500, mimetype="text/plain; charset=utf-8")


def register(app: Flask) -> None:
    """Install the handlers and the body-size limit on ``app``."""
    app.config["MAX_CONTENT_LENGTH"] = limits.MAX_BODY_BYTES
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
