"""Entry points of auth_hooks: GET/PATCH/DELETE /v1/me and the two blocking functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import flask

from functions.auth_hooks import profile
from lib import entitlements, firebase
from lib.auth import Caller
from lib.http import Reply, json_response, parse_body
from lib.routing import serve


def _profile_reply(caller: Caller) -> Reply:
    data = profile.ensure_profile(caller.uid, caller.email, caller.claims.get("name"))
    return profile.profile_view(caller.uid, data, entitlements.active_plan(caller.uid)).model_dump(mode="json")


def get_me(request: flask.Request, caller: Caller) -> Reply:
    return _profile_reply(caller)


def patch_me(request: flask.Request, caller: Caller) -> Reply:
    patch = parse_body(request, profile.ProfilePatch)
    profile.ensure_profile(caller.uid, caller.email, caller.claims.get("name"))
    profile.update_profile(caller.uid, patch)
    return _profile_reply(caller)


def delete_me(request: flask.Request, caller: Caller) -> Reply:
    # Imported on the first deletion: it cancels subscriptions, so it loads the Stripe SDK,
    # which the `me` function's typical request (a GET) never needs.
    from functions.auth_hooks import deletion

    return deletion.delete_account(caller.uid).model_dump()


def export_me(request: flask.Request, caller: Caller) -> Reply:
    from functions.auth_hooks import export

    return export.export_of(caller.uid).model_dump(mode="json")


def get_health(request: flask.Request) -> Reply:
    from functions.auth_hooks import health

    report = health.check_health()
    return json_response(report.model_dump(), status=200 if report.status == "ok" else 503)


def _blocking(name: str) -> Callable[[flask.Request], Reply]:
    """identity_fn's decorators turn an event handler into a request handler, though their
    type hints say otherwise. The module is imported on the first blocking call: firebase-functions
    is the heaviest import of auth_hooks, and the `me` function never needs it."""

    def run(request: flask.Request) -> Reply:
        from functions.auth_hooks import blocking

        firebase.app()  # the blocking-function library would otherwise create its own app
        blocking.check_blocking_call(parse_body(request, blocking.BlockingCall))
        handler: Callable[[flask.Request], object] = getattr(blocking, name)
        return cast(flask.Response, handler(request))

    return run


me = serve(
    "auth_hooks",
    "me",
    {"me_get": get_me, "me_patch": patch_me, "me_delete": delete_me, "me_export": export_me, "healthz": get_health},
)
before_create = serve("auth_hooks", "before_create", {"auth_before_create": _blocking("before_create")})
before_sign_in = serve("auth_hooks", "before_sign_in", {"auth_before_sign_in": _blocking("before_sign_in")})
