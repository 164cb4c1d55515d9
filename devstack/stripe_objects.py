"""Stripe objects for the local Stripe server, built from Stripe's own example objects.

Each builder starts from a deep copy of the resource in `stripe_fixtures/fixtures3.json`,
so every field Stripe sends is there, and then sets the values this object really has.
"""

from __future__ import annotations

import copy
import functools
import json
import secrets
from pathlib import Path
from typing import Any

from stripe._api_version import _ApiVersion

Obj = dict[str, Any]

FIXTURES = Path(__file__).resolve().parent / "stripe_fixtures" / "fixtures3.json"
PERIOD_S = 30 * 24 * 3600
UNIT_AMOUNT = 999


@functools.cache
def _templates() -> dict[str, Obj]:
    resources: dict[str, Obj] = json.loads(FIXTURES.read_text())["resources"]
    return resources


def template(resource: str) -> Obj:
    return copy.deepcopy(_templates()[resource])


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def customer(params: Obj, now: int) -> Obj:
    obj = template("customer")
    obj.update(
        id=new_id("cus"),
        created=now,
        email=params.get("email"),
        name=params.get("name"),
        metadata=dict(params.get("metadata") or {}),
        discount=None,
        invoice_prefix=secrets.token_hex(4).upper(),
    )
    return obj


def checkout_session(params: Obj, now: int, base_url: str) -> Obj:
    obj = template("checkout.session")
    session_id = new_id("cs_test")
    obj.update(
        id=session_id,
        created=now,
        expires_at=now + 24 * 3600,
        mode=params.get("mode", "payment"),
        customer=params.get("customer"),
        client_reference_id=params.get("client_reference_id"),
        metadata=dict(params.get("metadata") or {}),
        success_url=params.get("success_url"),
        cancel_url=params.get("cancel_url"),
        url=f"{base_url}/checkout/{session_id}",
        status="open",
        payment_status="unpaid",
        payment_intent=None,
        subscription=None,
        invoice=None,
        currency="usd",
        amount_subtotal=UNIT_AMOUNT,
        amount_total=UNIT_AMOUNT,
        allow_promotion_codes=as_flag(params.get("allow_promotion_codes")),
        payment_method_collection=params.get("payment_method_collection") or "always",
        shipping_address_collection=None,
        shipping_cost=None,
        currency_conversion=None,
        after_expiration=None,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
    )
    # Kept beside the session (not sent): what a completed checkout subscribes to.
    obj["_line_items"] = list(params.get("line_items") or [])
    obj["_subscription_data"] = dict(params.get("subscription_data") or {})
    return obj


def portal_session(params: Obj, now: int, base_url: str) -> Obj:
    obj = template("billing_portal.session")
    session_id = new_id("bps")
    obj.update(
        id=session_id,
        created=now,
        customer=params.get("customer"),
        return_url=params.get("return_url"),
        url=f"{base_url}/billing_portal/{session_id}",
        flow=None,
        livemode=False,
        configuration=new_id("bpc"),
    )
    return obj


def card(customer_id: str, now: int) -> Obj:
    """A test card attached to the customer (Stripe's fixtures have no payment method to copy)."""
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "type": "card",
        "created": now,
        "customer": customer_id,
        "livemode": False,
        "metadata": {},
        "allow_redisplay": "always",
        "billing_details": {"address": None, "email": None, "name": None, "phone": None, "tax_id": None},
        "card": {
            "brand": "visa",
            "country": "US",
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": secrets.token_hex(8),
            "funding": "credit",
            "last4": "4242",
            "networks": {"available": ["visa"], "preferred": None},
            "wallet": None,
        },
    }


def as_flag(value: Any) -> bool:
    return str(value).lower() == "true"


def subscription(customer_id: str, price_id: str, metadata: Obj, now: int, trial: Obj | None = None) -> Obj:
    """An active subscription, or a trialing one when `trial` holds the checkout's
    `trial_period_days` and `trial_settings` (its first period is the trial)."""
    obj = template("subscription")
    trial_end = now + int(trial["trial_period_days"]) * 24 * 3600 if trial else None
    subscription_id = new_id("sub")
    item = obj["items"]["data"][0]
    item.update(
        id=new_id("si"),
        created=now,
        subscription=subscription_id,
        current_period_start=now,
        current_period_end=trial_end or now + PERIOD_S,
        billing_thresholds=None,
    )
    item["price"].update(id=price_id, created=now, unit_amount=UNIT_AMOUNT, unit_amount_decimal=str(UNIT_AMOUNT))
    item["price"]["transform_quantity"] = None
    item["plan"].update(
        id=price_id, amount=UNIT_AMOUNT, amount_decimal=str(UNIT_AMOUNT), billing_scheme="per_unit", interval_count=1
    )
    item["plan"].update(created=now, currency="usd", livemode=False, metadata={}, transform_usage=None)
    obj["items"]["url"] = f"/v1/subscription_items?subscription={subscription_id}"
    obj.update(
        id=subscription_id,
        customer=customer_id,
        created=now,
        start_date=now,
        billing_cycle_anchor=now,
        billing_cycle_anchor_config=None,
        status="trialing" if trial else "active",
        metadata=dict(metadata),
        cancel_at=None,
        cancel_at_period_end=False,
        canceled_at=None,
        ended_at=None,
        trial_start=now if trial else None,
        trial_end=trial_end,
        trial_settings=(trial or {}).get("trial_settings")
        or {"end_behavior": {"missing_payment_method": "create_invoice"}},
        default_payment_method=None,
        pause_collection=None,
        pending_update=None,
        pending_invoice_item_interval=None,
        next_pending_invoice_item_invoice=None,
        transfer_data=None,
        billing_thresholds=None,
        billing_schedules=[],
    )
    return obj


def start_period(sub: Obj, now: int) -> None:
    """A renewal: the subscription's next period starts now."""
    item = sub["items"]["data"][0]
    item.update(current_period_start=now, current_period_end=now + PERIOD_S)


def charge(customer_id: str, amount: int, now: int) -> Obj:
    obj = template("charge")
    obj.update(
        id=new_id("ch"),
        created=now,
        customer=customer_id,
        amount=amount,
        amount_captured=amount,
        amount_refunded=0,
        captured=True,
        paid=True,
        refunded=False,
        disputed=False,
        status="succeeded",
        description="Premium",
        balance_transaction=new_id("txn"),
        payment_intent=new_id("pi"),
        payment_method=new_id("pm"),
        receipt_url=None,
        refunds=None,
    )
    return obj


def dispute(disputed: Obj, now: int) -> Obj:
    obj = template("dispute")
    obj.update(
        id=new_id("dp"),
        created=now,
        charge=disputed["id"],
        amount=disputed["amount"],
        currency=disputed["currency"],
        payment_intent=disputed["payment_intent"],
        status="needs_response",
        reason="fraudulent",
        balance_transactions=[],
        is_charge_refundable=False,
    )
    return obj


def invoice(sub: Obj, now: int, amount: int = UNIT_AMOUNT, *, paid: bool = True) -> Obj:
    obj = template("invoice")
    invoice_id = new_id("in")
    item = sub["items"]["data"][0]
    line = obj["lines"]["data"][0]
    line.update(id=new_id("il"), invoice=invoice_id, amount=UNIT_AMOUNT, subtotal=UNIT_AMOUNT, description="Premium")
    line["period"] = {"start": item["current_period_start"], "end": item["current_period_end"]}
    line["parent"] = {
        "invoice_item_details": None,
        "subscription_item_details": {
            "invoice_item": None,
            "proration": False,
            "proration_details": {"credited_items": None},
            "subscription": sub["id"],
            "subscription_item": item["id"],
        },
        "type": "subscription_item_details",
    }
    obj["lines"]["url"] = f"/v1/invoices/{invoice_id}/lines"
    obj["parent"] = {
        "quote_details": None,
        "subscription_details": {"metadata": sub["metadata"], "subscription": sub["id"]},
        "type": "subscription_details",
    }
    obj.update(
        id=invoice_id,
        customer=sub["customer"],
        created=now,
        effective_at=now,
        due_date=None,
        billing_reason="subscription_create",
        status="paid" if paid else "open",
        amount_due=amount,
        amount_paid=amount if paid else 0,
        amount_remaining=0 if paid else amount,
        amount_overpaid=0,
        attempt_count=1,
        attempted=True,
        subtotal=amount,
        subtotal_excluding_tax=amount,
        total=amount,
        total_excluding_tax=amount,
        period_start=item["current_period_start"],
        period_end=item["current_period_end"],
        from_invoice=None,
        last_finalization_error=None,
        shipping_cost=None,
        next_payment_attempt=None,
        webhooks_delivered_at=None,
        status_transitions={
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": now if paid else None,
            "voided_at": None,
        },
    )
    return obj


def event(event_type: str, data_object: Obj, now: int, previous: Obj | None = None) -> Obj:
    obj = template("event")
    data: Obj = {"object": public(data_object)}
    if previous is not None:
        data["previous_attributes"] = previous
    obj.update(
        id=new_id("evt"),
        type=event_type,
        created=now,
        data=data,
        api_version=_ApiVersion.CURRENT,
        livemode=False,
        pending_webhooks=1,
        request={"id": None, "idempotency_key": None},
    )
    return obj


def public(obj: Obj) -> Obj:
    """A deep copy without the server's private bookkeeping fields, at any depth."""
    return {k: _public_value(v) for k, v in obj.items() if not k.startswith("_")}


def _public_value(value: Any) -> Any:
    if isinstance(value, dict):
        return public(value)
    if isinstance(value, list):
        return [_public_value(v) for v in value]
    return copy.deepcopy(value)
