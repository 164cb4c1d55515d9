"""The app deadline: an app route answers 503 `unavailable` with Retry-After once its time has
passed, whatever its handler is waiting for, and the handler's late result is never sent."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import flask
import pytest

from lib import auth, deadline, errors, log, routing
from lib.config import Settings

app = flask.Flask(__name__)
# Long enough for any handler that does not block to finish on a loaded machine.
AMPLE_S = 30.0
SHORT_S = 0.2


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def app_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The `me` routes as plain `user` routes whose token check knows one caller, under a short
    deadline: these tests are about the deadline, test_route_guards.py holds the token checks."""
    table = tuple(dataclasses.replace(r, auth="user") if r.auth == "user_revoked" else r for r in routing.routes())
    monkeypatch.setattr(routing, "routes", lambda: table)
    monkeypatch.setattr(routing, "settings", lambda: Settings(app_deadline_s=SHORT_S))
    monkeypatch.setattr(auth, "verify_caller", lambda header, check_revoked: auth.Caller(uid="u1"))


def _me(me_get: object) -> routing.Handler:
    handlers = {name: (lambda request, caller: {}) for name in ("me_patch", "me_delete", "me_export")}
    return routing.serve("auth_hooks", "me", {**handlers, "me_get": me_get, "healthz": lambda request: {}})


def _get(entry: routing.Handler, path: str = "/v1/me") -> flask.Response:
    with app.test_request_context(path, method="GET"):
        return entry(flask.request)  # type: ignore[return-value]


@pytest.mark.usefixtures("app_routes")
def test_an_app_route_past_its_deadline_answers_503_unavailable_with_retry_after(release: threading.Event) -> None:
    ended = threading.Event()

    def stuck(request: flask.Request, caller: auth.Caller) -> dict[str, bool]:
        release.wait(AMPLE_S)
        ended.set()
        return {"late": True}

    response = _get(_me(stuck))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert set(response.get_json()["error"]) == {"code", "message"}
    assert int(response.headers["Retry-After"]) >= 1
    release.set()
    assert ended.wait(AMPLE_S)
    assert "late" not in response.get_data(as_text=True)


@pytest.mark.usefixtures("app_routes")
def test_an_app_route_within_its_deadline_answers_its_reply_and_logs_its_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(routing, "settings", lambda: Settings(app_deadline_s=AMPLE_S))
    logged: list[dict[str, object]] = []
    monkeypatch.setattr(routing, "_log_request", lambda *args: logged.append(log.fields()))

    def fine(request: flask.Request, caller: auth.Caller) -> dict[str, str]:
        log.bind(uid=caller.uid)
        return {"uid": caller.uid}

    assert _get(_me(fine)).get_json() == {"uid": "u1"}
    assert logged[0]["uid"] == "u1"


def test_work_still_waiting_for_a_worker_when_the_deadline_passes_never_starts(release: threading.Event) -> None:
    started: list[str] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(release.wait, AMPLE_S)
        with pytest.raises(errors.Unavailable):
            deadline.run_within(SHORT_S, lambda: started.append("queued"), pool)
        release.set()
    assert started == []


def test_an_error_of_the_work_reaches_the_caller() -> None:
    def refuse() -> None:
        raise errors.Conflict("already there")

    with pytest.raises(errors.Conflict):
        deadline.run_within(AMPLE_S, refuse)


def test_the_time_left_is_known_only_inside_a_deadline() -> None:
    assert deadline.remaining() is None
    left = deadline.run_within(AMPLE_S, deadline.remaining)
    assert left is not None
    assert 0 < left <= AMPLE_S


def _where_it_ran(
    function: str, entry_point: str, route_name: str, path: str, method: str = "POST"
) -> tuple[threading.Thread, float | None]:
    """The thread a route's handler ran on and the time it had left."""
    seen: list[tuple[threading.Thread, float | None]] = []

    def record(request: flask.Request) -> dict[str, str]:
        seen.append((threading.current_thread(), deadline.remaining()))
        return {}

    handlers = {r.name: record for r in routing.routes_of(function, entry_point)}
    entry = routing.serve(function, entry_point, handlers)
    with app.test_request_context(path, method=method, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        assert entry(flask.request).status_code == 200
    return seen[0]


def test_a_blocking_function_runs_on_its_own_thread_with_its_calls_ending_before_google_gives_up() -> None:
    thread, left = _where_it_ran("auth_hooks", "before_create", "auth_before_create", "/internal/auth/before-create")
    assert thread is threading.current_thread()
    assert left is not None
    assert 0 < left <= routing.BLOCKING_DEADLINE_S


@pytest.mark.parametrize(
    ("function", "entry_point", "route_name", "path", "method"),
    [
        ("reminders", "sweep", "tokens_sweep", "/internal/reminders/sweep", "POST"),
        ("auth_hooks", "me", "healthz", "/healthz", "GET"),
    ],
)
def test_an_internal_or_open_route_keeps_the_function_s_own_time(
    function: str, entry_point: str, route_name: str, path: str, method: str
) -> None:
    thread, left = _where_it_ran(function, entry_point, route_name, path, method)
    assert (thread, left) == (threading.current_thread(), None)
