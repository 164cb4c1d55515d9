"""The production configuration, started: each deployed function runs from its packaged zip under
functions-framework's production server with exactly the environment Terraform gives it
(terraform/routes.tf, evaluated), ENVIRONMENT=production kept. Secrets are stand-ins, and the
emulator hosts are added, since the SDKs then use the emulators.

Every request is the one Google would send, derived from Terraform's evaluated configuration and
from the code that builds tasks, never from the route table: Identity Platform's call at each
trigger's registered URI, each Cloud Scheduler job's http_target, the send task the tick builds,
and the app's requests resolved through the load balancer's URL map (deploy/url_map.py). A URL on
a function's run.app host goes to the local port of the function Terraform says serves it.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import pytest
import requests
import stripe
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.cloud import tasks_v2

from deploy import package, url_map
from devstack import emulator_tokens
from devstack.app_store_chain import new_chain
from devstack.app_store_state import now_ms
from devstack.emulator_tokens import id_token
from devstack.google_play_key import service_account_key
from devstack.stack import http_ok
from functions.content_urls import signing
from functions.reminders import queues
from functions.reminders.batch import Batch, DueUser
from lib import routing
from lib.config import LOCAL_ENDPOINTS, Settings, settings
from tests.support import terraform as tf
from tests.support.cdn import cookie_url_prefix
from tests.support.oidc import certs_server, oidc_token

PROJECT = tf.DEPLOYMENT_STAND_INS["project"]
DOMAIN = tf.DEPLOYMENT_STAND_INS["domain"]
SECRET_STAND_INS = {
    "STRIPE_API_KEY": "sk_test_production_stand_in",
    "STRIPE_WEBHOOK_SECRET": "whsec_production_stand_in",
    "CDN_KEYS": f"{tf.DEPLOYMENT_STAND_INS['cdn_signing_key_name']}:{base64.urlsafe_b64encode(bytes(16)).decode()}",
    "APP_STORE_PRIVATE_KEY": ec.generate_private_key(ec.SECP256R1())
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode(),
    "APP_STORE_KEY_ID": "PRODKEY001",
    "APP_STORE_ISSUER_ID": "57246542-96fe-1a63-e053-0824d011072a",
    # The key the local Google Play accepts (the stack's own).
    "GOOGLE_PLAY_SERVICE_ACCOUNT_KEY": service_account_key(settings().google_play_api_base),
}
# google-auth looks for Google's metadata server when a library asks for default credentials;
# pointing it at a closed local port keeps any such look-up on this machine.
NO_METADATA = {"GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"}


@dataclass(frozen=True)
class Deployed:
    # Terraform's evaluated locals, and the local port of each function (by key).
    terraform: dict[str, Any]
    ports: dict[str, int]
    uid: str
    token: str

    def at_run_app(self, url: str) -> str:
        """The local address of a URL on a function's run.app host (the key → port of Terraform's
        function_urls), path and query kept."""
        parts = urlsplit(url)
        keys = {urlsplit(u).netloc: key for key, u in self.terraform["function_urls"].items()}
        return self._local(keys[parts.netloc], parts)

    def through_load_balancer(self, url: str) -> tuple[str, str]:
        """The backend the URL map sends `url` to, and, for a function, its local address."""
        parts = urlsplit(url)
        backend = url_map.resolve(self.terraform["url_map"], parts.netloc, parts.path)
        kind, _, key = backend.partition(":")
        return backend, (self._local(key, parts) if kind == "function" else "")

    def _local(self, key: str, parts: SplitResult) -> str:
        return urlunsplit(("http", f"127.0.0.1:{self.ports[key]}", parts.path, parts.query, ""))


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
    ports: dict[str, int] = {}
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
            ports[key] = port
        deadline = time.monotonic() + 120
        for key, port in ports.items():
            while not http_ok(f"http://127.0.0.1:{port}/")():
                assert time.monotonic() < deadline, f"{key} did not start: {(root / f'{key}.log').read_text()[-3000:]}"
                time.sleep(0.3)
        uid, token = _user_in(PROJECT, config.firebase_auth_emulator_host)
        yield Deployed(terraform, ports, uid, token)
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


def _locally_signed_notification() -> dict[str, str]:
    """A notification for the deployed app, signed as the local App Store signs: by a chain to a
    root that is not Apple's."""
    payload = {
        "notificationType": "TEST",
        "notificationUUID": str(uuid.uuid4()),
        "version": "2.0",
        "signedDate": now_ms(),
        "data": {
            "bundleId": tf.DEPLOYMENT_STAND_INS["app_store_bundle_id"],
            "appAppleId": int(tf.DEPLOYMENT_STAND_INS["app_store_app_apple_id"]),
            "environment": tf.DEPLOYMENT_STAND_INS["app_store_environment"],
        },
    }
    return {"signedPayload": new_chain("Not Apple").sign(payload)}


def _concrete(path: str) -> str:
    return (
        path.replace("{content_id}", "no-such-item")
        .replace("{installation_id}", "install-1")
        .replace("{message_id}", "0" * 32)
    )


def _app_request(route: routing.Route, deployed: Deployed) -> requests.Response:
    """The app's request for `route`, sent where the load balancer's URL map sends it."""
    bodies: dict[str, Any] = {
        "me_patch": {"display_name": "Production start"},
        "checkin_create": {},
        "reminder_put": {"enabled": True, "local_time": "08:00", "timezone": "Europe/Paris"},
        "device_put": {"platform": "android", "token": "fcm-token-production-start"},
        "notifications_put": {"daily_reminder": True, "streak_at_risk": False, "account_notices": True},
        "store_purchase_create": {"store": "google_play", "purchase_id": "no-such-purchase-token"},
    }
    backend, url = deployed.through_load_balancer(f"https://{DOMAIN}{_concrete(route.path)}")
    assert backend == f"function:{route.function}-{route.entry_point}"
    if route.name == "stripe_webhook":
        payload, signature = _signed_event()
        return requests.post(url, data=payload, headers={"Stripe-Signature": signature}, timeout=60)
    if route.name == "app_store_notification":
        return requests.post(url, json=_locally_signed_notification(), timeout=60)
    headers = {"Authorization": f"Bearer {deployed.token}"} if route.auth == "user_revoked" else {}
    return requests.request(route.method, url, json=bodies.get(route.name), headers=headers, timeout=60)


# What each app route answers here: the stand-in project has no catalogue item and no sent
# message (the answer comes from the Firestore query), Google Play (the local one, reached
# with the function's key) knows no purchase of the stand-in package, and a notification signed
# by any root but Apple's is refused. Everything else succeeds.
EXPECTED = {
    "content_access": 404,
    "notification_opened": 404,
    "store_purchase_create": 404,
    "app_store_notification": 400,
}
APP_ROUTES = sorted(
    (r for r in routing.routes() if r.function != "gateway" and r.auth in tf.APP_AUTH and r.name != "me_delete"),
    key=lambda r: r.name,
)
ROUTED_ELSEWHERE = [r.path for r in routing.routes() if r.auth in ("internal", "pubsub_push", "identity_platform")]
UNKNOWN_PATHS = ["/", "/nope", "/internal/x", "/v1/unknown", "/v1/me/unknown", *ROUTED_ELSEWHERE]


def _is_api_json(answer: requests.Response) -> bool:
    return answer.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("route", APP_ROUTES, ids=lambda r: r.name)
def test_each_app_route_answers_through_the_load_balancer_in_production_configuration(
    route: routing.Route, deployed: Deployed
) -> None:
    answer = _app_request(route, deployed)
    assert answer.status_code == EXPECTED.get(route.name, 200), answer.text
    assert _is_api_json(answer)


def test_a_notification_chained_to_a_local_root_is_refused_in_production_configuration(deployed: Deployed) -> None:
    """Production trusts Apple's roots only: the local App Store's signatures are forgeries there."""
    route = next(r for r in routing.routes() if r.name == "app_store_notification")
    answer = _app_request(route, deployed)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "app_store/invalid-signature"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", UNKNOWN_PATHS)
def test_an_unknown_or_internal_path_gets_the_api_json_404_through_the_load_balancer(
    path: str, method: str, deployed: Deployed
) -> None:
    backend, url = deployed.through_load_balancer(f"https://{DOMAIN}{_concrete(path)}")
    assert backend.startswith("function:"), backend
    answer = requests.request(method, url, json={}, timeout=60)
    assert answer.status_code == 404, answer.text
    assert _is_api_json(answer)
    assert set(answer.json()["error"]) >= {"code", "message"}


def test_each_blocking_trigger_answers_identity_platforms_call_at_its_registered_uri(deployed: Deployed) -> None:
    triggers = deployed.terraform["blocking_triggers"]
    assert triggers
    for trigger in triggers.values():
        uid = f"prod-{uuid.uuid4().hex[:10]}"
        event = f"providers/cloud.auth/eventTypes/user.{trigger['event_type']}"
        jwt = emulator_tokens.blocking_token(
            uid, f"{uid}@example.com", event, PROJECT, audience=trigger["function_uri"]
        )
        answer = requests.post(deployed.at_run_app(trigger["function_uri"]), json={"data": {"jwt": jwt}}, timeout=60)
        assert answer.status_code == 200, (trigger, answer.text)
        assert _is_api_json(answer)


def _scheduler_call(deployed: Deployed, job: str, *, with_token: bool = True) -> requests.Response:
    target = deployed.terraform["scheduler_targets"][job]
    headers = dict(target["headers"])
    if with_token:
        headers["Authorization"] = f"Bearer {oidc_token(target['oidc_audience'], target['service_account'])}"
    url = deployed.at_run_app(target["uri"])
    return requests.request(target["http_method"], url, data=target["body"], headers=headers, timeout=60)


def test_each_scheduler_job_call_is_answered(deployed: Deployed) -> None:
    jobs = sorted(deployed.terraform["scheduler_targets"])
    assert jobs
    answers = {job: _scheduler_call(deployed, job) for job in jobs}
    assert {job: (a.status_code, _is_api_json(a)) for job, a in answers.items()} == dict.fromkeys(jobs, (200, True)), {
        job: a.text for job, a in answers.items()
    }


def test_a_scheduler_target_refuses_a_call_without_an_oidc_token(deployed: Deployed) -> None:
    jobs = sorted(deployed.terraform["scheduler_targets"])
    answers = {job: _scheduler_call(deployed, job, with_token=False) for job in jobs}
    assert {job: (a.status_code, a.json()["error"]["code"]) for job, a in answers.items()} == dict.fromkeys(
        jobs, (401, "auth/missing-token")
    )


def _play_push(deployed: Deployed, *, with_token: bool = True) -> requests.Response:
    """Pub/Sub's push of Play Console's test notification, as the subscription Terraform registers
    sends it: its endpoint, the push envelope, an OIDC token for its audience and account."""
    push = deployed.terraform["google_play_push"]
    package = deployed.terraform["function_env"]["stripe_webhook-google_play"]["GOOGLE_PLAY_PACKAGE_NAME"]
    notification = {"version": "1.0", "packageName": package, "eventTimeMillis": "1", "testNotification": {}}
    data = base64.b64encode(json.dumps(notification).encode()).decode()
    body = {"message": {"data": data, "messageId": uuid.uuid4().hex, "attributes": {}}, "subscription": "s"}
    token = oidc_token(push["audience"], push["service_account_email"])
    headers = {"Authorization": f"Bearer {token}"} if with_token else {}
    return requests.post(deployed.at_run_app(push["push_endpoint"]), json=body, headers=headers, timeout=60)


def test_the_google_play_push_terraform_registers_is_answered(deployed: Deployed) -> None:
    answer = _play_push(deployed)
    assert (answer.status_code, answer.json()) == (200, {"received": True, "outcome": "ignored"}), answer.text


def test_a_google_play_push_without_its_token_is_refused(deployed: Deployed) -> None:
    answer = _play_push(deployed, with_token=False)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "auth/missing-token")


def test_the_send_task_the_tick_builds_is_answered(deployed: Deployed) -> None:
    """The tick's own code path builds the task with the tick's production settings; it is sent as
    Cloud Tasks dispatches it: its URL, headers, body and an OIDC token for its audience."""
    tick = Settings(
        **{name.lower(): value for name, value in deployed.terraform["function_env"]["reminders-tick"].items()}
    )
    today = datetime.now(UTC).date()
    batch = Batch(batch=f"prod-{uuid.uuid4().hex[:8]}", day=today, users=[DueUser(uid="nobody-here", local_date=today)])
    queue = queues.reminder_queues(tick)[0]
    task = queues.send_task(queue, batch, tick)
    request = task.http_request
    assert request.http_method == tasks_v2.HttpMethod.POST
    token = oidc_token(request.oidc_token.audience, request.oidc_token.service_account_email)
    headers = {
        **request.headers,
        "Authorization": f"Bearer {token}",
        "X-CloudTasks-QueueName": queue.rsplit("/", 1)[-1],
        "X-CloudTasks-TaskName": task.name.rsplit("/", 1)[-1],
        "X-CloudTasks-TaskRetryCount": "0",
        "X-CloudTasks-TaskExecutionCount": "0",
    }
    answer = requests.post(deployed.at_run_app(request.url), data=request.body, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    assert _is_api_json(answer)


def _content_item(config: Settings, item_id: str, kind: str, path: str) -> None:
    """A free catalogue item of the stand-in project, written as the admin SDK would."""
    url = (
        f"http://{config.firestore_emulator_host}/v1/projects/{PROJECT}/databases/(default)/documents/content/{item_id}"
    )
    fields = {"title": "Production start", "tier": "free", "kind": kind, "path": path}
    body = {"fields": {name: {"stringValue": value} for name, value in fields.items()}}
    requests.patch(url, headers={"Authorization": "Bearer owner"}, json=body, timeout=10).raise_for_status()


@pytest.mark.parametrize(("kind", "path"), [("file", "free/prod-start.wav"), ("stream", "free/prod-stream/index.m3u8")])
def test_a_signed_media_url_reaches_the_media_bucket_under_media(
    kind: str, path: str, deployed: Deployed, config: Settings
) -> None:
    """The content function signs with production settings; what the app then fetches (the URL,
    and for a stream every URL under the cookie's URLPrefix) goes to the bucket, which is asked for
    the path without its leading slash: it must be under media/, where uploads go (docs/media.md)."""
    item_id = f"prod-{kind}-{uuid.uuid4().hex[:6]}"
    _content_item(config, item_id, kind, path)
    _, url = deployed.through_load_balancer(f"https://{DOMAIN}/v1/content/{item_id}/access")
    answer = requests.post(url, headers={"Authorization": f"Bearer {deployed.token}"}, timeout=60)
    assert answer.status_code == 200, answer.text
    fetched = [answer.json()["url"]]
    if kind == "stream":
        fetched.append(cookie_url_prefix(answer.cookies[signing.COOKIE_NAME]))
    for media_url in fetched:
        backend, _ = deployed.through_load_balancer(media_url)
        assert backend == "bucket:media", media_url
        assert url_map.bucket_object(urlsplit(media_url).path).startswith("media/"), media_url
    assert url_map.bucket_object(urlsplit(fetched[0]).path) == f"media/{path}"


def test_account_deletion_works_in_production_configuration(deployed: Deployed, config: Settings) -> None:
    """auth_hooks-me is given the Stripe key now: deletion cancels subscriptions through it."""
    uid, token = _user_in(PROJECT, config.firebase_auth_emulator_host)
    _, me = deployed.through_load_balancer(f"https://{DOMAIN}/v1/me")
    assert requests.get(me, headers={"Authorization": f"Bearer {token}"}, timeout=60).status_code == 200
    answer = requests.delete(me, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["uid"] == uid
