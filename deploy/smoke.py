"""Smoke check of the deployed API through its load balancer: `python -m deploy.smoke https://api.example`.

Three cheap checks, one line each (✓ or ✗ with the reason), exit status 1 when any fails:
an app route refuses a call without a token, GET /v1/me answers a test user's profile, and the
Stripe webhook refuses an unsigned call. The test user signs in with the Identity Toolkit REST
API (signInWithPassword), from SMOKE_USER_EMAIL, SMOKE_USER_PASSWORD and FIREBASE_WEB_API_KEY.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import requests

IDENTITY_TOOLKIT = "https://identitytoolkit.googleapis.com"
TIMEOUT_S = 15
CREDENTIALS = ("SMOKE_USER_EMAIL", "SMOKE_USER_PASSWORD", "FIREBASE_WEB_API_KEY")


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    reason: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.reason}"


class CheckFailed(Exception):
    """The API answered, but not what a healthy deployment answers."""


class Unreachable(Exception):
    """No answer worth judging yet (connection refused, 502/503/504): worth another attempt."""


def error_code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def describe(response: requests.Response) -> str:
    code = error_code(response)
    if code:
        return f"{response.status_code} {code}"
    return f"{response.status_code} {response.text[:120]!r}"


def send(session: requests.Session, method: str, url: str, **kwargs: object) -> requests.Response:
    try:
        response = session.request(method, url, timeout=TIMEOUT_S, **kwargs)  # type: ignore[arg-type]
    except requests.RequestException as exc:
        raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code in (502, 503, 504):
        raise Unreachable(f"answered {describe(response)}")
    return response


def expect_error(response: requests.Response, status: int, code: str) -> str:
    if response.status_code != status or error_code(response) != code:
        raise CheckFailed(f"expected {status} {code}, got {describe(response)}")
    return f"{status} {code}"


def refuses_missing_token(session: requests.Session, base_url: str) -> str:
    return expect_error(send(session, "GET", f"{base_url}/v1/me"), 401, "auth/missing-token")


def refuses_unsigned_webhook(session: requests.Session, base_url: str) -> str:
    response = send(
        session, "POST", f"{base_url}/stripe/webhook", data=b"{}", headers={"Content-Type": "application/json"}
    )
    return expect_error(response, 400, "stripe/invalid-signature")


def internal_route_is_not_routed(session: requests.Session, base_url: str) -> str:
    """The load balancer has no rule for internal routes: from outside they are an unknown path,
    answered by a function with the API's JSON 404, never by the internal function or the bucket."""
    return expect_error(send(session, "POST", f"{base_url}/internal/reminders/tick", json={}), 404, "not-found")


def sign_in_error(response: requests.Response) -> str:
    """Identity Toolkit's reason, e.g. INVALID_LOGIN_CREDENTIALS (its error code is a number)."""
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return repr(response.text[:120])
    return str(message)


def id_token(session: requests.Session, identity_toolkit: str, api_key: str, email: str, password: str) -> str:
    response = send(
        session,
        "POST",
        f"{identity_toolkit}/v1/accounts:signInWithPassword",
        params={"key": api_key},
        json={"email": email, "password": password, "returnSecureToken": True},
    )
    if response.status_code != 200:
        raise CheckFailed(f"the test user cannot sign in: {response.status_code} {sign_in_error(response)}")
    return str(response.json()["idToken"])


def answers_profile(session: requests.Session, base_url: str, identity_toolkit: str) -> str:
    missing = [name for name in CREDENTIALS if not os.environ.get(name)]
    if missing:
        raise CheckFailed(f"{', '.join(missing)} not set")
    token = id_token(
        session,
        identity_toolkit,
        os.environ["FIREBASE_WEB_API_KEY"],
        os.environ["SMOKE_USER_EMAIL"],
        os.environ["SMOKE_USER_PASSWORD"],
    )
    response = send(session, "GET", f"{base_url}/v1/me", headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        raise CheckFailed(f"expected 200 with the profile, got {describe(response)}")
    try:
        uid = response.json().get("uid")
    except ValueError:
        uid = None
    if not isinstance(uid, str) or not uid:
        raise CheckFailed(f"200 without a profile uid: {response.text[:120]!r}")
    return f"200, profile of uid {uid}"


def run_check(name: str, check: Callable[[], str], attempts: int, delay_s: float) -> Outcome:
    for attempt in range(1, attempts + 1):
        try:
            return Outcome(name, True, check())
        except CheckFailed as exc:
            return Outcome(name, False, str(exc))
        except Unreachable as exc:
            if attempt == attempts:
                return Outcome(name, False, f"{exc} (after {attempts} attempts)")
            time.sleep(delay_s)
    raise AssertionError("unreachable")  # pragma: no cover


def smoke(
    base_url: str, identity_toolkit: str = IDENTITY_TOOLKIT, attempts: int = 3, delay_s: float = 10
) -> list[Outcome]:
    base_url = base_url.rstrip("/")
    with requests.Session() as session:
        checks: list[tuple[str, Callable[[], str]]] = [
            ("GET /v1/me without a token is refused", lambda: refuses_missing_token(session, base_url)),
            ("GET /v1/me as the test user", lambda: answers_profile(session, base_url, identity_toolkit)),
            ("POST /stripe/webhook unsigned is refused", lambda: refuses_unsigned_webhook(session, base_url)),
            ("POST /internal/reminders/tick is not routed", lambda: internal_route_is_not_routed(session, base_url)),
        ]
        return [run_check(name, check, attempts, delay_s) for name, check in checks]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.smoke", description=__doc__)
    parser.add_argument("base_url", help="the API's public URL, e.g. https://api.example.com")
    parser.add_argument("--identity-toolkit", default=IDENTITY_TOOLKIT, help="Identity Toolkit REST API base URL")
    parser.add_argument("--attempts", type=int, default=3, help="tries per check while the API does not answer")
    parser.add_argument("--delay", type=float, default=10, help="seconds between tries")
    args = parser.parse_args(argv)
    outcomes = smoke(args.base_url, args.identity_toolkit, args.attempts, args.delay)
    for outcome in outcomes:
        print(outcome.line(), flush=True)
    failed = sum(not outcome.ok for outcome in outcomes)
    print(f"smoke check of {args.base_url}: {len(outcomes) - failed} passed, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
