"""Checks that hold for every test of the suite (issue 13 point 8).

* Warnings are errors: ``filterwarnings`` in pyproject.toml ([tool.pytest.ini_options]) starts
  with ``"error"``; its few ignores name one third-party warning each and say why.
* No leaked threads: every test, every module and the session must end with no thread alive that
  it started (after a short grace period for threads that are stopping). A test that uses a
  module- or session-scoped fixture may leave threads to that fixture: they are checked when the
  fixture's scope ends (the module or the session), since a shared server may start threads
  lazily during whichever test first needs them.

Threads the product leaks today are named in :data:`KNOWN_PRODUCT_LEAKS`; that list is to be
emptied, not extended.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator

import pytest

# One pcscd per machine: its session fixture is defined once, here, for every folder (devices,
# kiosk workflows, kiosk window); a re-export in a folder's conftest would start a second one.
from tests.rigs.fixtures import pcsc, pcscd_rig  # noqa: F401  (re-export the pcscd rig fixtures)

#: Seconds a thread that outlived its test, module or session may take to end before it counts as
#: leaked (stop() of a server or worker signals its threads; they notice within their poll interval).
GRACE = 5.0

#: Product threads allowed to outlive the test that started them, by name prefix, with the reason.
#: Empty: every server thread belongs to ``ctx.threads`` and ``ctx.close()`` joins it (issue 13
#: point 7). A new entry needs a reason, and is a defect to fix (``THREAD_LEAKS_ALL=1`` ignores it).
KNOWN_PRODUCT_LEAKS: dict[str, str] = {}


#: Leaks already reported (by the test that left them): not reported again by its module or session.
_reported: set[threading.Thread] = set()


#: ``THREAD_LEAKS_ALL=1`` reports the allow-listed threads too (to see what is left to fix).
_REPORT_ALL = os.environ.get("THREAD_LEAKS_ALL") == "1"


def _known(t: threading.Thread) -> bool:
    if t in _reported:
        return True
    return not _REPORT_ALL and any(t.name.startswith(prefix) for prefix in KNOWN_PRODUCT_LEAKS)


def _survivors(before: set[threading.Thread], grace: float = GRACE,
               others: Callable[[threading.Thread], bool] = lambda t: False) -> list[threading.Thread]:
    """Threads alive now that were not alive in ``before`` and are neither known product leaks nor
    ``others`` (judged elsewhere), after waiting up to ``grace`` seconds for them to end."""
    deadline = time.monotonic() + grace
    collected = False
    while True:
        left = [t for t in threading.enumerate()
                if t not in before and t is not threading.current_thread() and not _known(t) and not others(t)]
        if not left or time.monotonic() >= deadline:
            return left
        if not collected:
            # an executor whose owner is only kept alive by a reference cycle (a device held by a
            # caught exception's traceback) lets its workers go when the cycle is collected
            gc.collect()
            collected = True
        for t in left:
            t.join(max(0.0, min(0.1, deadline - time.monotonic())))


def _describe(threads: list[threading.Thread]) -> str:
    return ", ".join(f"{t.name!r} ({'daemon' if t.daemon else 'NON-daemon'}, target "
                     f"{getattr(getattr(t, '_target', None), '__qualname__', '?')})" for t in threads)


def _check(before: set[threading.Thread], what: str) -> None:
    left = _survivors(before)
    if left:
        _reported.update(left)
        pytest.fail(f"{what} leaked {len(left)} thread(s) still alive {GRACE:g} s after it ended: "
                    f"{_describe(left)}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _no_leaked_threads_session() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    _check(before, "the session (a session-scoped fixture)")


@pytest.fixture(scope="module", autouse=True)
def _no_leaked_threads_module(request: pytest.FixtureRequest) -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    # threads of session-scoped fixtures first started in this module belong to the session check
    owned = _survivors(before, others=_owned_by_session)
    if owned:
        _reported.update(owned)
        pytest.fail(f"module {request.node.name} (a module-scoped fixture) leaked {len(owned)} thread(s) still "
                    f"alive {GRACE:g} s after it ended: {_describe(owned)}", pytrace=False)


#: Threads started by session-scoped fixtures (while they were set up, or during a test that used
#: no narrower shared fixture): the session check judges them, not the module that happened to
#: start them.
_session_owned: set[threading.Thread] = set()
#: The values of session-scoped fixtures: a thread running a method of one of them (a session
#: printer rig serving a connection) belongs to the session too, whichever test started it.
_session_values: list[object] = []


def _owned_by_session(t: threading.Thread) -> bool:
    owner = getattr(getattr(t, "_target", None), "__self__", None)
    return t in _session_owned or (owner is not None and any(owner is v for v in _session_values))


class _SessionFixtureWatcher:
    """Records the threads and values of session-scoped fixtures as they are set up. A plugin, not
    a hook of this conftest: pytest calls a session fixture's setup hook with the session's hooks,
    which leave out conftest files below the rootdir."""

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[object]) -> Generator[None, object, object]:
        if fixturedef.scope != "session":
            return (yield)
        before = set(threading.enumerate())
        try:
            value = yield
            _session_values.append(value)
            return value
        finally:
            _session_owned.update(t for t in threading.enumerate() if t not in before)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_SessionFixtureWatcher(), "thread-leaks-session-fixtures")


def _wider_scopes(item: pytest.Item) -> set[str]:
    """Scopes wider than function of the fixtures ``item`` uses (pytest's fixture info is private
    API, but stable since pytest 3; without it every shared server would count as a test's leak)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    scopes = set()
    for name in info.names_closure:
        if name.startswith("_no_leaked_threads"):
            continue
        defs = info.name2fixturedefs.get(name)
        if defs:
            scope = defs[-1].scope
            if scope != "function":
                scopes.add(scope)
    return scopes


@pytest.fixture(autouse=True)
def _no_leaked_threads(request: pytest.FixtureRequest) -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    scopes = _wider_scopes(request.node)
    if not scopes:
        _check(before, "this test")
        return
    # a shared fixture may have started threads lazily: the wider scope's check judges them
    if scopes == {"session"}:
        _session_owned.update(t for t in threading.enumerate() if t not in before)
