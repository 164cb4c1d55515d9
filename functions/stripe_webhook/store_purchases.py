"""A store's current view of a purchase in: bound to its user, stored unless a newer view is, and
turned into the user's entitlement.

Every store module (App Store, Google Play) calls `record` with what the store answered, from a
notification or from the app's report of a purchase. The purchase's document is written with a
conditional write, as entitlement_store writes the entitlement: read it, refuse an older view,
write on the condition that it has not changed since the read, read again on a lost race.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from functions.stripe_webhook import entitlement_store, store_accounts, store_views
from functions.stripe_webhook.store_subscription import StoreSubscription
from lib import errors, log, tombstones
from lib import firestore as db
from lib.errors import AccountDeleted, PurchaseOwned

IAM_PERMISSIONS = db.WRITES

_logger = log.get_logger("store_purchases")


class StoreOutcome(enum.StrEnum):
    APPLIED = "applied"  # the purchase's view is stored and the entitlement reflects it
    STALE = "stale"  # a newer view of the purchase was already stored
    ORPHANED = "orphaned"  # no known user (stored unbound), or the user's account was deleted


class _Raced(Exception):
    """Another writer changed the purchase between our read and our write."""


@dataclass(frozen=True)
class Change:
    """What a view changes in its purchase's document."""

    uid: str | None  # the user the purchase is bound to from now on (None: still unknown)
    fresh: bool  # the view is newer than the stored one and replaces it


def change_of(
    stored: store_views.StoredPurchase, owner: str | None, caller_uid: str | None, synced_at: datetime
) -> Change | None:
    """What a view read at `synced_at` changes, given the purchase's owner (its stored binding, or
    the user its account token names) and the user reporting it (None for a store notification):
    None when it changes nothing, an older view that cannot bind the purchase either.
    PurchaseOwned when the owner is another user than the reporting one."""
    if caller_uid is not None and owner not in (None, caller_uid):
        raise PurchaseOwned("this purchase belongs to another account")
    uid = owner or caller_uid
    fresh = stored.synced_at is None or stored.synced_at < synced_at
    if not fresh and (stored.uid is not None or uid is None):
        return None
    return Change(uid=uid, fresh=fresh)


def _supersede(batch: firestore.WriteBatch, subscription: StoreSubscription) -> None:
    """Marks the purchases this one replaces (an upgrade, downgrade or resubscription), so they
    no longer count; one not yet seen is remembered as superseded for when its view arrives."""
    for purchase_id in subscription.replaces:
        batch.set(store_views.ref(subscription.store, purchase_id), {"superseded": True}, merge=True)


def _commit(uid: str | None, writes: Callable[[firestore.WriteBatch], None]) -> None:
    """Commits a purchase's writes; refused (AccountDeleted) once a bound user's account is deleted."""
    if uid is None:
        batch = db.client().batch()
        writes(batch)
        db.commit_batch(batch)
    else:
        tombstones.write(uid, writes)


@retry(
    retry=retry_if_exception_type(_Raced),
    wait=wait_random_exponential(multiplier=0.01, max=0.5),
    stop=stop_after_attempt(12),
    reraise=True,
)
def _store(
    subscription: StoreSubscription, synced_at: datetime, caller_uid: str | None
) -> tuple[StoreOutcome, str | None]:
    """Stores the view unless a newer one is stored; answers the outcome and the user whose
    entitlement it changed (None when nothing changed or no user is known)."""
    ref = store_views.ref(subscription.store, subscription.purchase_id)
    snapshot = ref.get()
    stored = store_views.stored_in(snapshot.to_dict())
    # The account token the store attests names the buyer as surely as a stored binding does.
    owner = stored.uid or store_accounts.uid_of(subscription.account_token)
    change = change_of(stored, owner, caller_uid, synced_at)
    if change is None:
        return StoreOutcome.STALE, None
    uid, fresh = change.uid, change.fresh
    data: dict[str, Any] = {"uid": uid, "store": subscription.store.value, "purchase_id": subscription.purchase_id}
    if fresh:
        data |= {"view": store_views.document(subscription), "synced_at": synced_at, "superseded": stored.superseded}
    data["updated_at"] = firestore.SERVER_TIMESTAMP

    def writes(batch: firestore.WriteBatch) -> None:
        if snapshot.exists:
            batch.update(ref, data, option=db.client().write_option(last_update_time=snapshot.update_time))
        else:
            batch.create(ref, data)
        if fresh:
            _supersede(batch, subscription)

    try:
        _commit(uid, writes)
    except AccountDeleted:
        return StoreOutcome.ORPHANED, None
    except (gexc.AlreadyExists, gexc.FailedPrecondition) as exc:
        raise _Raced from exc
    if uid is None:
        return StoreOutcome.ORPHANED, None
    # A stale view that only bound the purchase still changes what the user is entitled to.
    return (StoreOutcome.APPLIED if fresh else StoreOutcome.STALE), uid


def record(subscription: StoreSubscription, *, synced_at: datetime, caller_uid: str | None = None) -> StoreOutcome:
    """Binds the purchase to a user (its stored binding, else the user its account token names,
    else `caller_uid`, the app's report), stores the view unless a newer one (`synced_at`, taken
    before the store was asked) is stored, then recomputes the user's entitlement and claims.
    PurchaseOwned (409) when the purchase belongs to another user than `caller_uid`."""
    try:
        outcome, uid = _store(subscription, synced_at, caller_uid)
    except _Raced as exc:
        raise errors.Unavailable("the purchase is being updated; retry shortly", retry_after_s=1) from exc
    if uid is not None:
        log.bind(uid=uid)
        written = entitlement_store.recompute(uid)
        if not written.owned:
            outcome = StoreOutcome.ORPHANED
        elif written.claim_stale:
            entitlement_store.sync_plan_claim(uid)
    _logger.info("store purchase", extra={"fields": {"outcome": outcome.value, "state": subscription.state.value}})
    return outcome
