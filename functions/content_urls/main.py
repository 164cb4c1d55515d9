"""Entry point of content_urls: GET /v1/content and POST /v1/content/{content_id}/access."""

from __future__ import annotations

import time

import flask

from functions.content_urls import access, catalogue, signing
from lib import entitlements, log
from lib.auth import Caller
from lib.config import settings
from lib.http import Reply, json_response
from lib.routing import serve


def content_list(request: flask.Request, caller: Caller) -> Reply:
    return access.catalogue_for(catalogue.list_items(), entitlements.active_plan(caller.uid)).model_dump(mode="json")


def content_access(request: flask.Request, caller: Caller, content_id: str) -> Reply:
    log.bind(content_id=content_id)
    item = catalogue.get_item(content_id)
    granted = access.grant(item, entitlements.active_plan(caller.uid), access.signer_of(settings()), int(time.time()))
    response = json_response(granted.access.model_dump(mode="json"))
    if granted.cookie:
        cookie = granted.cookie
        response.set_cookie(
            signing.COOKIE_NAME, cookie.value, expires=cookie.expires_at, path=cookie.path, secure=True, httponly=True
        )
    return response


content = serve("content_urls", "content", {"content_list": content_list, "content_access": content_access})
