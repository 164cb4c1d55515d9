"""The production configuration, started: each deployed function runs from its packaged zip under
functions-framework's production server with exactly the environment Terraform gives it
(terraform/routes.tf, evaluated), ENVIRONMENT=production kept. Secrets are stand-ins, and the
emulator hosts are added, since the SDKs then use the emulators. Each answers every route it serves.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe

from deploy import package
from devstack.emulator_tokens import id_token
from devstack.stack import http_ok
from lib import routing
from lib.config import LOCAL_ENDPOINTS, Settings
from tests.support import terraform as tf
from tests.support.oidc import certs_server, oidc_token

PROJECT = tf.DEPLOYMENT_STAND_INS["project"]
SECRET_STAND_INS = {
    "STRIPE_API_KEY": "sk_test_production_stand_in",
    "STRIPE_WEBHOOK_SECRET": "whsec_production_stand_in",
    "CDN_KEYS": f"{tf.DEPLOYMENT_STAND_INS['cdn_signing_key_name']}:{base64.urlsafe_b64encode(bytes(16)).decode()}",
}
# google-auth looks for Google's metadata server when a library asks for default credentials;
# pointing it at a closed local port keeps any such look-up on this machine.
NO_METADATA = {"GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"}


@dataclass(frozen=True)
class Deployed:
    urls: dict[str, str]
    uid: str
    token: str
    # An OIDC token for each internal function, as its scheduler job or task sends it.
    oidc_tokens: dict[str, str]


# The functions' ports, from the test stack's base: a port the kernel hands out (bind to 0) can be
# handed out again, or taken by a client socket, before the function binds it.
PORTS_OFFSET = 500


def _user_in(project: str, auth_host: str) -> tuple[str, str]:
    """A user of the stand-in project on the Auth emulator, and an ID token for it. Created without
    a password, the user's tokens are valid from any time (a password's would be valid only from
    the second it was set), so the token is back-dated rather than waited for."""
    response = requests.post(
        f"http://{auth_host}/identitytoolkit.googleapis.com/v1/projects/{project}/accounts",
        headers={"Authorization": "Bearer owner"},
        json={"email": f"prod-{uuid.uuid4().hex[:10]}@example.com"},
        timeout=10,
    )
    response.raise_for_status()
    uid = str(response.json()["localId"])
    return uid, id_token(uid, project, issued_s_ago=10, lifetime_s=3600)


def production_environment(terraform: Any, key: str, config: Settings) -> dict[str, str]:
    plain: dict[str, str] = terraform["function_env"][key]
    secrets = {
        terraform["secrets"][s]["env"]: SECRET_STAND_INS[terraform["secrets"][s]["env"]]
        for s in terraform["function_secrets"][key]
    }
    emulators = {name.upper(): str(getattr(config, name)) for name in LOCAL_ENDPOINTS}
    return {"PATH": os.environ["PATH"], **plain, **secrets, **emulators, **NO_METADATA}


@pytest.fixture(scope="module")
def certs_url() -> Iterator[str]:
    with certs_server() as url:
        yield url


@pytest.fixture(scope="module")
def deployed(
    stack: Any, config: Settings, certs_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    terraform = tf.evaluate_locals(routing.ROUTES_FILE, tmp_path_factory.mktemp("console"))
    root = tmp_path_factory.mktemp("deployed")
    package.build_all(root / "dist")
    framework = Path(sys.executable).with_name("functions-framework")
    processes: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}
    oidc_tokens: dict[str, str] = {}
    try:
        for index, (key, function) in enumerate(terraform["functions"].items()):
            source = root / key
            with zipfile.ZipFile(root / "dist" / f"{function['concern']}.zip") as archive:
                archive.extractall(source)
            port = config.gateway_port + PORTS_OFFSET + index
            env = production_environment(terraform, key, config) | {"FUNCTION_TARGET": function["entry_point"]}
            if "INTERNAL_AUDIENCE" in env:
                # Google's certificates are replaced by those of a key made here.
                env["OIDC_CERTS_URL"] = certs_url
                caller = env["INTERNAL_CALLERS"].split(",")[0]
                oidc_tokens[key] = oidc_token(env["INTERNAL_AUDIENCE"], caller)
            with (root / f"{key}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [
                            str(framework),
                            "--source",
                            str(source / "main.py"),
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(port),
                        ],
                        cwd=source,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls[key] = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        for key, url in urls.items():
            while not http_ok(f"{url}/")():
                assert time.monotonic() < deadline, f"{key} did not start: {(root / f'{key}.log').read_text()[-3000:]}"
                time.sleep(0.3)
        uid, token = _user_in(PROJECT, config.firebase_auth_emulator_host)
        yield Deployed(urls, uid, token, oidc_tokens)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _signed_event() -> tuple[str, str]:
    payload = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": "customer.created",
            "data": {"object": {"object": "customer", "id": "cus_unknown"}},
        }
    )
    return payload, str(
        stripe.WebhookSignature.generate_signature_header(payload, SECRET_STAND_INS["STRIPE_WEBHOOK_SECRET"])
    )


def _blocking_call() -> dict[str, Any]:
    """A blocking call whose JWT names the cloudfunctions.net URL: firebase-functions refuses it
    before any network look-up (test_blocking_token_audience.py)."""
    claims = {
        "aud": f"https://europe-west1-{PROJECT}.cloudfunctions.net/x",
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")  # noqa: E731
    return {"data": {"jwt": f"{encode({'alg': 'RS256', 'kid': 'k'})}.{encode(claims)}.c2ln"}}


def _request(route: routing.Route, deployed: Deployed) -> requests.Response:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    bodies: dict[str, Any] = {
        "me_patch": {"display_name": "Production start"},
        "checkin_create": {},
        "reminder_put": {"enabled": True, "local_time": "08:00", "timezone": "Europe/Paris"},
        "device_put": {"platform": "android", "token": "fcm-token-production-start"},
        "notifications_put": {"daily_reminder": True, "streak_at_risk": False, "account_notices": True},
        "reminders_tick": {},
        "reminders_send": {
            "batch": f"prod-{uuid.uuid4().hex[:8]}",
            "day": today,
            "users": [{"uid": "nobody-here", "local_date": today}],
        },
        "auth_before_create": _blocking_call(),
        "auth_before_sign_in": _blocking_call(),
    }
    key = f"{route.function}-{route.entry_point}"
    url = deployed.urls[key] + route.path.replace("{content_id}", "no-such-item").replace(
        "{installation_id}", "install-1"
    ).replace("{message_id}", "0" * 32)
    headers = {"Authorization": f"Bearer {deployed.token}"} if route.auth == "user_revoked" else {}
    if route.auth == "internal":
        headers = {"Authorization": f"Bearer {deployed.oidc_tokens[key]}"}
    if route.name == "stripe_webhook":
        payload, signature = _signed_event()
        return requests.post(url, data=payload, headers={"Stripe-Signature": signature}, timeout=60)
    return requests.request(route.method, url, json=bodies.get(route.name), headers=headers, timeout=60)


# What each route answers here: the blocking functions refuse a JWT that names the wrong
# audience, and the stand-in project has no catalogue item and no sent message (the answer
# comes from the Firestore query). Everything else succeeds.
EXPECTED = {"auth_before_create": 400, "auth_before_sign_in": 400, "content_access": 404, "notification_opened": 404}
ROUTES = sorted(
    (r for r in routing.routes() if r.function != "gateway" and r.name != "me_delete"), key=lambda r: r.name
)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_each_deployed_function_answers_its_routes_in_production_configuration(
    route: routing.Route, deployed: Deployed
) -> None:
    answer = _request(route, deployed)
    assert answer.status_code == EXPECTED.get(route.name, 200), answer.text
    assert answer.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("route", [r for r in ROUTES if r.auth == "internal"], ids=lambda r: r.name)
def test_a_deployed_internal_function_refuses_a_call_without_an_oidc_token(
    route: routing.Route, deployed: Deployed
) -> None:
    answer = requests.post(deployed.urls[f"{route.function}-{route.entry_point}"] + route.path, json={}, timeout=60)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "auth/missing-token")


def test_account_deletion_works_in_production_configuration(deployed: Deployed, config: Settings) -> None:
    """auth_hooks-me is given the Stripe key now: deletion cancels subscriptions through it."""
    uid, token = _user_in(PROJECT, config.firebase_auth_emulator_host)
    me = deployed.urls["auth_hooks-me"] + "/v1/me"
    assert requests.get(me, headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code == 200
    answer = requests.delete(me, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["uid"] == uid
