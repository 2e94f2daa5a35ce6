"""The sync server's client of the finance e-bill platform (the one outside system it calls).

* ``finance_http`` / ``finance_transport`` — signed envelopes over a keep-alive pool; every
  failure mapped onto the typed errors of ``errors`` (not sent / in doubt / rejected);
* ``policy`` — the one platform-call policy (circuit breaker, issuing outcome with the lookup by
  busNo before any re-send, write-off and batch checks, query retries), used by every room;
* ``finance`` — the typed methods over the policy: the class the server holds as ``ctx.upstream``;
* ``finance_ext`` — our §17 emergency extensions, reached as ``client.ext``;
* ``masking`` — personal numbers and secrets masked before anything is logged.
"""
