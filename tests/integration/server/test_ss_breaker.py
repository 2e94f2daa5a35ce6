"""The platform client's circuit breaker: after consecutive refused connections calls fail at
once as "not sent", then a probe goes out again."""

from __future__ import annotations

import time

import pytest
from ss_rig import free_port

from billing_core.breaker import Breaker
from billing_core.clock import SystemClock
from sync_server.connectors.errors import PlatformUnreachable
from sync_server.connectors.finance import FinanceClient

pytestmark = pytest.mark.integration


def test_breaker_opens_after_refusals_and_probes_again() -> None:
    breaker = Breaker(SystemClock(), failure_threshold=3, open_seconds=0.5, single_probe=False)  # as the server's
    up = FinanceClient(f"http://127.0.0.1:{free_port()}/medical-web/api/medical", "A", "k", breaker=breaker,
                       query_retries=0)
    for _ in range(3):
        with pytest.raises(PlatformUnreachable) as err:
            up.call("testServerConnect", {"testValue": "x"})
        assert not err.value.in_doubt and "熔断" not in err.value.message
    assert up.is_open()
    with pytest.raises(PlatformUnreachable) as err:
        up.call("testServerConnect", {"testValue": "x"})
    assert "熔断" in err.value.message and not err.value.in_doubt
    time.sleep(0.6)
    assert not up.is_open()
    with pytest.raises(PlatformUnreachable) as err:  # the probe really tries again
        up.call("testServerConnect", {"testValue": "x"})
    assert "熔断" not in err.value.message
