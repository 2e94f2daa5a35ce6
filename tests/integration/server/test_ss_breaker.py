"""The platform client's circuit breaker: after consecutive refused connections calls fail at
once as "not sent", then a probe goes out again."""

from __future__ import annotations

import time

import pytest
from ss_rig import free_port

from sync_server.connectors.errors import PlatformUnreachable
from sync_server.connectors.upstream import Upstream

pytestmark = pytest.mark.integration


def test_breaker_opens_after_refusals_and_probes_again() -> None:
    up = Upstream(f"http://127.0.0.1:{free_port()}/medical-web/api/medical", "A", "k", breaker_after=3,
                  breaker_open=0.5)
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
