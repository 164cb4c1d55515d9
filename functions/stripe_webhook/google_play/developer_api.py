"""The Google Play Developer API (androidpublisher v3) through google-api-python-client.

The client is built once per process from the discovery document the library ships, with the
service account's key from settings; where settings().google_play_api_base names one (the local
stack does), requests go to that server instead of Google's. Every call has a deadline (the
httplib2 timeout) and its errors become typed ones: a purchase token Google does not know is
`UnknownPurchase`, anything that means Google did not answer is `errors.Unavailable`.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from lib import errors
from lib.config import settings

if TYPE_CHECKING:
    from googleapiclient.discovery import Resource
    from googleapiclient.http import HttpRequest

SCOPE = "https://www.googleapis.com/auth/androidpublisher"
# Google answers 404 for a token it never issued, 410 for one that expired more than 60 days ago.
_UNKNOWN_STATUSES = frozenset({400, 404, 410})
_UNAVAILABLE = "Google Play did not answer; retry shortly"


class UnknownPurchase(errors.NotFound):
    """Google Play knows no subscription purchase with this token (for this app): 404, since the
    request itself was well formed."""


@functools.cache
def _purchases() -> Resource:
    # Imported on first use: only Google Play's entry point and the purchase report need them.
    import google_auth_httplib2
    import httplib2
    from google.oauth2 import service_account
    from googleapiclient.discovery import build

    config = settings()
    try:
        key = json.loads(config.google_play_service_account_key)
        credentials = service_account.Credentials.from_service_account_info(key, scopes=[SCOPE])
    except ValueError as exc:
        raise errors.Unavailable("Google Play's service account key is missing or not valid") from exc
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=config.google_play_timeout_s))
    options = {"api_endpoint": config.google_play_api_base} if config.google_play_api_base else None
    service = build(
        "androidpublisher", "v3", http=http, client_options=options, static_discovery=True, cache_discovery=False
    )
    return service.purchases()


def _execute(request: HttpRequest) -> dict[str, Any]:
    import httplib2
    from google.auth import exceptions as auth_exceptions
    from googleapiclient.errors import HttpError

    try:
        # One retry of a 5xx or a dropped connection: Pub/Sub and the app retry a 503 themselves.
        answer: dict[str, Any] = request.execute(num_retries=1)
    except HttpError as exc:
        if exc.status_code in _UNKNOWN_STATUSES:
            raise UnknownPurchase("Google Play does not know this purchase token") from exc
        raise errors.Unavailable(_UNAVAILABLE) from exc
    except (auth_exceptions.TransportError, auth_exceptions.RefreshError, httplib2.HttpLib2Error, OSError) as exc:
        raise errors.Unavailable(_UNAVAILABLE) from exc
    return answer


def subscription(token: str) -> dict[str, Any]:
    """purchases.subscriptionsv2.get: the subscription's state now, as Google's JSON."""
    package = settings().google_play_package_name
    return _execute(_purchases().subscriptionsv2().get(packageName=package, token=token))


def acknowledge(product_id: str, token: str) -> None:
    """purchases.subscriptions.acknowledge; Google refunds a purchase left unacknowledged for three days."""
    package = settings().google_play_package_name
    request = _purchases().subscriptions().acknowledge(packageName=package, subscriptionId=product_id, token=token)
    _execute(request)
