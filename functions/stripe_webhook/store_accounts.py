"""The account token a store purchase carries, and the user it names: store_accounts/{token} = {uid}.

The app sets the token on every purchase (the App Store's appAccountToken, Google Play's
obfuscatedExternalAccountId), so a store notification that arrives before the app reports the
purchase still finds its user. The token is a name-based UUID of the uid: stable without a
stored uid-to-token lookup, the same for concurrent first requests, and it does not show the uid.
"""

from __future__ import annotations

import contextlib
import uuid

from google.api_core import exceptions as gexc
from google.cloud import firestore
from pydantic import BaseModel

from lib import firestore as db
from lib import tombstones

IAM_PERMISSIONS = db.WRITES

COLLECTION = "store_accounts"

# The namespace of the tokens' name-based UUIDs; changing it would orphan every token already set.
_NAMESPACE = uuid.UUID("6f1f6d1e-3b0a-5c55-9a43-0b7c1d2e8f21")


class StoreAccount(BaseModel):
    """The token the app sets on a purchase, under the name each store gives it (the same string)."""

    app_account_token: str  # the App Store's appAccountToken
    obfuscated_account_id: str  # Google Play's obfuscatedAccountId


def ref(token: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(token)


def token_of(uid: str) -> str:
    """The token of `uid`, computed only: nothing is read or written."""
    return str(uuid.uuid5(_NAMESPACE, uid))


def token_for(uid: str) -> str:
    """The token the app sets on `uid`'s purchases, its mapping stored once. AccountDeleted once
    the account is deleted."""
    token = token_of(uid)
    if ref(token).get().exists:
        return token
    mapping = {"uid": uid, "created_at": firestore.SERVER_TIMESTAMP}
    with contextlib.suppress(gexc.AlreadyExists):  # a concurrent first request stored the same mapping
        tombstones.write(uid, lambda batch: batch.create(ref(token), mapping))
    return token


def _is_uuid(token: str) -> bool:
    try:
        return str(uuid.UUID(token)) == token
    except ValueError:
        return False


def account_of(uid: str) -> StoreAccount:
    """What GET /v1/billing/store-account answers."""
    token = token_for(uid)
    return StoreAccount(app_account_token=token, obfuscated_account_id=token)


def uid_of(token: str | None) -> str | None:
    """The user a purchase's account token names, while that user exists (deletion removes the mapping)."""
    if not token or not _is_uuid(token):
        return None  # no token, or not one of ours (and perhaps no valid document id)
    stored = ref(token).get().to_dict() or {}
    return str(stored["uid"]) if stored.get("uid") else None
