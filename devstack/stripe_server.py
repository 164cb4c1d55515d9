"""`python -m devstack.stripe_server`: the local Stripe on 127.0.0.1, port of STRIPE_API_BASE.

Stripe has no emulator, so this speaks the part of its REST API our code uses (form-encoded
bodies, Stripe's JSON objects and error shapes, Idempotency-Key) to the real `stripe`
library, and delivers signed webhooks to the gateway with Stripe's retry behaviour.
Control endpoints under /_local/ (docs/local-stack.md) complete checkouts, add a card as the
billing portal does, move subscriptions through their lifecycle (trial end, failed renewal,
pause, resume, refund, dispute and its outcome, cancel), show delivery attempts, switch faults
on and hold an API answer while a test acts.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from devstack import stripe_objects as objects
from devstack.stack import port_of_url
from devstack.stripe_holds import Hold, Holds
from devstack.stripe_idempotency import IdempotencyKeys, IdempotencyRefused
from devstack.stripe_webhooks import Deliverer, Faults
from lib.config import settings

Obj = dict[str, Any]
MAX_LIST = 100
# A dispute in one of these still awaits the card network's decision.
OPEN_DISPUTE_STATUSES = frozenset({"warning_needs_response", "warning_under_review", "needs_response", "under_review"})


class StripeApiError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": "invalid_request_error", "message": message, "code": code, "param": param}}


def missing(kind: str, object_id: str) -> StripeApiError:
    return StripeApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id")


def decode_form(pairs: Iterable[tuple[str, str]]) -> Obj:
    """Stripe's form encoding: `a[b][0][c]=v` → {"a": {"b": [{"c": "v"}]}}."""
    root: Obj = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            child_is_list = not last and (parts[i + 1].isdigit() or parts[i + 1] == "[]")
            if isinstance(node, list):
                index = len(node) if part == "[]" else int(part)
                while len(node) <= index:
                    node.append(None)
                if last:
                    node[index] = value
                else:
                    node[index] = node[index] if node[index] is not None else ([] if child_is_list else {})
                    node = node[index]
            elif last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if child_is_list else {})
    return root


def as_bool(value: Any) -> bool:
    return str(value).lower() == "true"


class StripeState:
    """Every object the local Stripe knows, behind one lock."""

    def __init__(self, deliverer: Deliverer, base_url: str) -> None:
        self.deliverer = deliverer
        self.base_url = base_url
        self.lock = threading.Lock()
        self.customers: dict[str, Obj] = {}
        self.checkout_sessions: dict[str, Obj] = {}
        self.portal_sessions: dict[str, Obj] = {}
        self.subscriptions: dict[str, Obj] = {}
        self.invoices: dict[str, Obj] = {}
        self.charges: dict[str, Obj] = {}
        self.disputes: dict[str, Obj] = {}
        self.payment_methods: dict[str, Obj] = {}
        self.events: list[Obj] = []
        self.idempotency = IdempotencyKeys(time.time)
        self.holds = Holds()

    def _emit(self, batch: list[tuple[str, Obj, Obj | None]]) -> list[Obj]:
        """Records the events of one action and queues them for delivery; call under the lock."""
        now = int(time.time())
        created = [objects.event(kind, obj, now, previous) for kind, obj, previous in batch]
        self.events.extend(created)
        self.deliverer.deliver(created)
        return created

    def create_customer(self, params: Obj) -> Obj:
        with self.lock:
            customer = objects.customer(params, int(time.time()))
            self.customers[customer["id"]] = customer
            return customer

    def customer(self, customer_id: str) -> Obj:
        with self.lock:
            if customer_id not in self.customers:
                raise missing("customer", customer_id)
            customer = self.customers[customer_id]
            return _deleted(customer) if customer.get("_deleted") else customer

    def _require_customer(self, customer_id: Any) -> str:
        if (
            not isinstance(customer_id, str)
            or customer_id not in self.customers
            or self.customers[customer_id].get("_deleted")
        ):
            raise StripeApiError(400, f"No such customer: '{customer_id}'", code="resource_missing", param="customer")
        return customer_id

    def delete_customer(self, customer_id: str) -> Obj:
        """As Stripe does: the customer's subscriptions end at once, and the customer is gone."""
        with self.lock:
            customer = self.customers.get(customer_id)
            if customer is None or customer.get("_deleted"):
                raise missing("customer", customer_id)
            now = int(time.time())
            batch: list[tuple[str, Obj, Obj | None]] = []
            for subscription in self.subscriptions.values():
                if subscription["customer"] == customer_id and subscription["status"] != "canceled":
                    previous = {"status": subscription["status"]}
                    subscription.update(status="canceled", canceled_at=now, ended_at=now)
                    batch.append(("customer.subscription.deleted", subscription, previous))
            customer["_deleted"] = True
            self._emit([*batch, ("customer.deleted", customer, None)])
            return _deleted(customer)

    def add_card(self, customer_id: str) -> Obj:
        """What adding a card in the billing portal does: a card attached to the customer and made
        the default for its invoices (`payment_method.attached`, then `customer.updated`)."""
        with self.lock:
            self._require_customer(customer_id)
            customer = self.customers[customer_id]
            added = objects.card(customer_id, int(time.time()))
            self.payment_methods[added["id"]] = added
            previous = {"invoice_settings": dict(customer["invoice_settings"])}
            customer["invoice_settings"]["default_payment_method"] = added["id"]
            events = self._emit([("payment_method.attached", added, None), ("customer.updated", customer, previous)])
            return {"payment_method": added, "customer": customer, "events": [e["id"] for e in events]}

    def _payment_method_of(self, subscription: Obj) -> str | None:
        """The card Stripe charges: the subscription's default, else the customer's invoice default."""
        customer = self.customers.get(subscription["customer"]) or {}
        default = (customer.get("invoice_settings") or {}).get("default_payment_method")
        return subscription.get("default_payment_method") or default

    def create_checkout_session(self, params: Obj) -> Obj:
        with self.lock:
            if params.get("mode") == "subscription":
                self._require_customer(params.get("customer"))
                if not params.get("line_items"):
                    raise StripeApiError(400, "line_items is required in subscription mode", param="line_items")
            session = objects.checkout_session(params, int(time.time()), self.base_url)
            self.checkout_sessions[session["id"]] = session
            return session

    def checkout_session(self, session_id: str) -> Obj:
        with self.lock:
            if session_id not in self.checkout_sessions:
                raise missing("checkout.session", session_id)
            return self.checkout_sessions[session_id]

    def list_checkout_sessions(self, params: Obj) -> list[Obj]:
        with self.lock:
            found = [
                s
                for s in self.checkout_sessions.values()
                if (not params.get("customer") or s["customer"] == params["customer"])
                and (not params.get("status") or s["status"] == params["status"])
            ]
        return sorted(found, key=lambda s: s["created"], reverse=True)

    def expire_checkout_session(self, session_id: str) -> Obj:
        with self.lock:
            session = self.checkout_sessions.get(session_id)
            if session is None:
                raise missing("checkout.session", session_id)
            if session["status"] != "open":
                raise StripeApiError(400, "Only Checkout Sessions with a status of open can be expired.")
            session["status"] = "expired"
            self._emit([("checkout.session.expired", session, None)])
            return session

    def complete_checkout(self, session_id: str, params: Obj | None = None) -> Obj:
        """What a customer's checkout does: a subscription (trialing when the session offers a
        trial), its invoice (paid, with a charge, unless the trial made it zero) and their events.
        `card=false` leaves a trial without a payment method, as `payment_method_collection=
        if_required` allows; `promotion_code` is refused unless the session allows codes."""
        options = params or {}
        with self.lock:
            session = self.checkout_sessions.get(session_id)
            if session is None:
                raise missing("checkout.session", session_id)
            if session["status"] != "open" or session["mode"] != "subscription":
                raise StripeApiError(400, "only an open subscription-mode session can be completed")
            if options.get("promotion_code") and not session["allow_promotion_codes"]:
                raise StripeApiError(400, "this session does not accept promotion codes", param="promotion_code")
            now = int(time.time())
            price = str((session["_line_items"] or [{}])[0].get("price") or "price_local")
            data = session["_subscription_data"]
            trial = data if data.get("trial_period_days") else None
            card = not (trial and session["payment_method_collection"] == "if_required") or as_bool(
                options.get("card", "false")
            )
            subscription = objects.subscription(session["customer"], price, data.get("metadata") or {}, now, trial)
            subscription["default_payment_method"] = objects.new_id("pm") if card else None
            self.subscriptions[subscription["id"]] = subscription
            invoice = self._invoice(subscription, now, 0 if trial else objects.UNIT_AMOUNT, paid=True)
            session.update(
                status="complete",
                payment_status="no_payment_required" if trial else "paid",
                subscription=subscription["id"],
                invoice=invoice["id"],
            )
            events = self._emit(
                [
                    ("customer.subscription.created", subscription, None),
                    ("invoice.paid", invoice, None),
                    ("checkout.session.completed", session, None),
                ]
            )
            return {
                "session": objects.public(session),
                "subscription": subscription,
                "charge": subscription.get("_latest_charge"),
                "events": [e["id"] for e in events],
            }

    def _invoice(self, subscription: Obj, now: int, amount: int, *, paid: bool) -> Obj:
        """The subscription's next invoice, and the charge that paid it (none for zero)."""
        invoice = objects.invoice(subscription, now, amount, paid=paid)
        subscription["latest_invoice"] = invoice["id"]
        self.invoices[invoice["id"]] = invoice
        if paid and amount:
            charge = objects.charge(subscription["customer"], amount, now)
            self.charges[charge["id"]] = charge
            subscription["_latest_charge"] = charge["id"]
        return invoice

    def create_portal_session(self, params: Obj) -> Obj:
        with self.lock:
            self._require_customer(params.get("customer"))
            session = objects.portal_session(params, int(time.time()), self.base_url)
            self.portal_sessions[session["id"]] = session
            return session

    def subscription(self, subscription_id: str) -> Obj:
        with self.lock:
            if subscription_id not in self.subscriptions:
                raise missing("subscription", subscription_id)
            return self.subscriptions[subscription_id]

    def list_subscriptions(self, params: Obj) -> list[Obj]:
        status = params.get("status")
        customer = params.get("customer")
        with self.lock:
            found = [
                s
                for s in self.subscriptions.values()
                if (customer is None or s["customer"] == customer)
                and (status == "all" or (s["status"] == status if status else s["status"] != "canceled"))
            ]
        return sorted(found, key=lambda s: s["created"], reverse=True)

    def cancel_subscription(self, subscription_id: str, *, at_period_end: bool = False) -> tuple[Obj, list[Obj]]:
        with self.lock:
            subscription = self.subscriptions.get(subscription_id)
            if subscription is None:
                raise missing("subscription", subscription_id)
            if subscription["status"] == "canceled":
                raise StripeApiError(400, "this subscription is already canceled", code="resource_missing")
            now = int(time.time())
            if at_period_end:
                period_end = subscription["items"]["data"][0]["current_period_end"]
                subscription.update(cancel_at_period_end=True, cancel_at=period_end, canceled_at=now)
                events = self._emit([("customer.subscription.updated", subscription, {"cancel_at_period_end": False})])
            else:
                previous = {"status": subscription["status"]}
                subscription.update(status="canceled", canceled_at=now, ended_at=now)
                subscription["cancellation_details"] = {
                    "comment": None,
                    "feedback": None,
                    "reason": "cancellation_requested",
                }
                events = self._emit([("customer.subscription.deleted", subscription, previous)])
            return subscription, events

    def update_subscription_status(self, subscription_id: str, status: str) -> tuple[Obj, list[Obj]]:
        """A status change Stripe makes on its own (a failed renewal, a recovery)."""
        with self.lock:
            subscription = self.subscriptions.get(subscription_id)
            if subscription is None:
                raise missing("subscription", subscription_id)
            previous = {"status": subscription["status"]}
            subscription["status"] = status
            batch: list[tuple[str, Obj, Obj | None]] = [("customer.subscription.updated", subscription, previous)]
            if status == "past_due" and subscription.get("latest_invoice") in self.invoices:
                batch.insert(0, ("invoice.payment_failed", self.invoices[subscription["latest_invoice"]], None))
            return subscription, self._emit(batch)

    def _live_subscription(self, subscription_id: str, *statuses: str) -> Obj:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise missing("subscription", subscription_id)
        if statuses and subscription["status"] not in statuses:
            raise StripeApiError(400, f"the subscription is {subscription['status']}, not {' or '.join(statuses)}")
        return subscription

    def end_trial(self, subscription_id: str) -> tuple[Obj, list[Obj]]:
        """The trial ends now: with a card the first period is charged; without one the
        trial's end behaviour applies (pause, cancel, or an open invoice and past_due)."""
        with self.lock:
            subscription = self._live_subscription(subscription_id, "trialing")
            now = int(time.time())
            previous = {"status": "trialing", "trial_end": subscription["trial_end"]}
            subscription["trial_end"] = now
            behaviour = subscription["trial_settings"]["end_behavior"]["missing_payment_method"]
            paid = self._payment_method_of(subscription) is not None
            if not paid and behaviour == "pause":
                subscription["status"] = "paused"
                return subscription, self._emit(
                    [
                        ("customer.subscription.updated", subscription, previous),
                        ("customer.subscription.paused", subscription, None),
                    ]
                )
            if not paid and behaviour == "cancel":
                subscription.update(status="canceled", canceled_at=now, ended_at=now)
                return subscription, self._emit([("customer.subscription.deleted", subscription, previous)])
            objects.start_period(subscription, now)
            invoice = self._invoice(subscription, now, objects.UNIT_AMOUNT, paid=paid)
            subscription["status"] = "active" if paid else "past_due"
            return subscription, self._emit(
                [
                    ("invoice.paid" if paid else "invoice.payment_failed", invoice, None),
                    ("customer.subscription.updated", subscription, previous),
                ]
            )

    def fail_renewal(self, subscription_id: str) -> tuple[Obj, list[Obj]]:
        """The next period starts and its payment fails: an open invoice, and past_due."""
        with self.lock:
            subscription = self._live_subscription(subscription_id, "active", "past_due")
            now = int(time.time())
            previous = {"status": subscription["status"]}
            objects.start_period(subscription, now)
            invoice = self._invoice(subscription, now, objects.UNIT_AMOUNT, paid=False)
            subscription["status"] = "past_due"
            return subscription, self._emit(
                [
                    ("invoice.payment_failed", invoice, None),
                    ("customer.subscription.updated", subscription, previous),
                ]
            )

    def pause(self, subscription_id: str) -> tuple[Obj, list[Obj]]:
        with self.lock:
            subscription = self._live_subscription(subscription_id, "active")
            subscription["status"] = "paused"
            return subscription, self._emit(
                [
                    ("customer.subscription.updated", subscription, {"status": "active"}),
                    ("customer.subscription.paused", subscription, None),
                ]
            )

    def resume(self, subscription_id: str, params: Obj) -> tuple[Obj, list[Obj]]:
        """Stripe's resume of a paused subscription (400 otherwise). `billing_cycle_anchor=now`, the
        default, starts a new period and charges it at once with the card on file: `active`, or
        `past_due` when there is no card (Stripe resumes on the payment attempt). `unchanged` keeps
        the period and bills nothing now."""
        anchor = params.get("billing_cycle_anchor") or "now"
        anchor = anchor.get("type") if isinstance(anchor, dict) else anchor  # the SDK sends {type: ...}
        if anchor not in ("now", "unchanged"):
            raise StripeApiError(400, f"Invalid billing_cycle_anchor: '{anchor}'", param="billing_cycle_anchor")
        with self.lock:
            subscription = self.subscriptions.get(subscription_id)
            if subscription is None:
                raise missing("subscription", subscription_id)
            if subscription["status"] != "paused":
                raise StripeApiError(400, "Only paused subscriptions can be resumed.")
            previous = {"status": "paused"}
            batch: list[tuple[str, Obj, Obj | None]] = []
            paid = True
            if anchor == "now":
                now = int(time.time())
                paid = self._payment_method_of(subscription) is not None
                objects.start_period(subscription, now)
                subscription["billing_cycle_anchor"] = now
                invoice = self._invoice(subscription, now, objects.UNIT_AMOUNT, paid=paid)
                batch.append(("invoice.paid" if paid else "invoice.payment_failed", invoice, None))
            subscription["status"] = "active" if paid else "past_due"
            batch += [
                ("customer.subscription.resumed", subscription, None),
                ("customer.subscription.updated", subscription, previous),
            ]
            return subscription, self._emit(batch)

    def _latest_charge(self, subscription_id: str) -> Obj:
        subscription = self._live_subscription(subscription_id)
        charge_id = subscription.get("_latest_charge")
        if charge_id is None:
            raise StripeApiError(400, "this subscription has no charge yet")
        return self.charges[charge_id]

    def refund(self, subscription_id: str) -> Obj:
        """A full refund of the subscription's latest charge."""
        with self.lock:
            charge = self._latest_charge(subscription_id)
            charge.update(refunded=True, amount_refunded=charge["amount"])
            return {"charge": charge, "events": [e["id"] for e in self._emit([("charge.refunded", charge, None)])]}

    def dispute(self, subscription_id: str) -> Obj:
        """The cardholder disputes the subscription's latest charge."""
        with self.lock:
            charge = self._latest_charge(subscription_id)
            charge["disputed"] = True
            opened = objects.dispute(charge, int(time.time()))
            self.disputes[opened["id"]] = opened
            events = self._emit([("charge.dispute.created", opened, None)])
            return {"charge": charge, "dispute": opened, "events": [e["id"] for e in events]}

    def close_dispute(self, dispute_id: str, status: str) -> tuple[Obj, list[Obj]]:
        """The dispute's outcome: `won` reinstates the funds, `lost` keeps them withdrawn. The
        charge keeps `disputed: true` either way, as on Stripe."""
        if status not in ("won", "lost"):
            raise StripeApiError(400, f"Invalid status: must be one of won or lost, not '{status}'", param="status")
        with self.lock:
            found = self.disputes.get(dispute_id)
            if found is None:
                raise missing("dispute", dispute_id)
            if found["status"] not in OPEN_DISPUTE_STATUSES:
                raise StripeApiError(400, f"This dispute is already closed (status {found['status']}).")
            previous = {"status": found["status"]}
            found["status"] = status
            batch: list[tuple[str, Obj, Obj | None]] = [("charge.dispute.closed", found, previous)]
            if status == "won":
                batch.append(("charge.dispute.funds_reinstated", found, None))
            return found, self._emit(batch)

    def dispute_of(self, dispute_id: str) -> Obj:
        with self.lock:
            if dispute_id not in self.disputes:
                raise missing("dispute", dispute_id)
            return self.disputes[dispute_id]

    def list_disputes(self, params: Obj) -> list[Obj]:
        with self.lock:
            found = [
                d
                for d in self.disputes.values()
                if (not params.get("charge") or d["charge"] == params["charge"])
                and (not params.get("payment_intent") or d["payment_intent"] == params["payment_intent"])
            ]
        return sorted(found, key=lambda d: d["created"], reverse=True)

    def charge(self, charge_id: str) -> Obj:
        with self.lock:
            if charge_id not in self.charges:
                raise missing("charge", charge_id)
            return self.charges[charge_id]

    def list_charges(self, params: Obj) -> list[Obj]:
        created = params.get("created") or {}
        gte = int(created.get("gte", 0)) if isinstance(created, dict) else int(created)
        with self.lock:
            found = [
                c
                for c in self.charges.values()
                if (not params.get("customer") or c["customer"] == params["customer"]) and c["created"] >= gte
            ]
        return sorted(found, key=lambda c: c["created"], reverse=True)

    def event(self, event_id: str) -> Obj:
        with self.lock:
            for event in self.events:
                if event["id"] == event_id:
                    return event
        raise missing("event", event_id)

    def list_events(self, params: Obj) -> list[Obj]:
        created = params.get("created") or {}
        gte = int(created.get("gte", 0)) if isinstance(created, dict) else int(created)
        types = set(params.get("types") or []) | ({params["type"]} if params.get("type") else set())
        with self.lock:
            found = [e for e in self.events if e["created"] >= gte and (not types or e["type"] in types)]
        if "delivery_success" in params:
            # Stripe's filter: true, events delivered to the endpoint; false, events whose delivery
            # failed or is still pending.
            delivered = self.deliverer.delivered_ids()
            wanted = as_bool(params["delivery_success"])
            found = [e for e in found if (e["id"] in delivered) == wanted]
        return list(reversed(found))  # newest first, as Stripe lists


def _deleted(customer: Obj) -> Obj:
    return {"id": customer["id"], "object": "customer", "deleted": True}


def page(objs: list[Obj], params: Obj, url: str) -> Obj:
    """A Stripe list object: `limit`, and `starting_after` counted from the previous page."""
    limit = max(1, min(MAX_LIST, int(params.get("limit") or 10)))
    start = 0
    if params.get("starting_after"):
        ids = [o["id"] for o in objs]
        start = ids.index(params["starting_after"]) + 1 if params["starting_after"] in ids else len(objs)
    chunk = objs[start : start + limit]
    return {"object": "list", "data": chunk, "has_more": start + limit < len(objs), "url": url}


def changed(subscription: Obj, events: list[Obj]) -> Obj:
    return {"subscription": subscription, "events": [e["id"] for e in events]}


Handler = Callable[[StripeState, Obj, Request, Mapping[str, Any]], Any]


def _routes() -> dict[str, Handler]:
    def faults(state: StripeState, params: Obj, request: Request, _: Mapping[str, Any]) -> Obj:
        if request.method == "PUT":
            try:
                state.deliverer.set_faults(Faults.model_validate(request.get_json(force=True, silent=True) or {}))
            except ValidationError as exc:
                raise StripeApiError(400, str(exc)) from exc
        return state.deliverer.faults.model_dump()

    def deliveries(state: StripeState, params: Obj, request: Request, _: Mapping[str, Any]) -> Obj:
        if request.method == "DELETE":
            state.deliverer.clear()
        return {"deliveries": state.deliverer.attempts(request.args.get("event_id"))}

    def local_cancel(state: StripeState, params: Obj, request: Request, args: Mapping[str, Any]) -> Obj:
        return changed(*state.cancel_subscription(args["id"], at_period_end=as_bool(params.get("at_period_end"))))

    def local_update(state: StripeState, params: Obj, request: Request, args: Mapping[str, Any]) -> Obj:
        return changed(*state.update_subscription_status(args["id"], str(params.get("status") or "active")))

    def holds(state: StripeState, params: Obj, request: Request, _: Mapping[str, Any]) -> Obj:
        if request.method == "PUT":
            try:
                state.holds.arm(Hold.model_validate(request.get_json(force=True, silent=True) or {}))
            except ValidationError as exc:
                raise StripeApiError(400, str(exc)) from exc
        if request.method == "DELETE":
            state.holds.release()
        return state.holds.state()

    def local_dispute_close(state: StripeState, params: Obj, request: Request, args: Mapping[str, Any]) -> Obj:
        closed, events = state.close_dispute(args["id"], str(params.get("status") or ""))
        return {"dispute": closed, "events": [e["id"] for e in events]}

    def local_subscription(state: StripeState, params: Obj, request: Request, args: Mapping[str, Any]) -> Obj:
        action, subscription_id = args["action"], args["id"]
        if action == "trial_end":
            return changed(*state.end_trial(subscription_id))
        if action == "payment_failed":
            return changed(*state.fail_renewal(subscription_id))
        if action == "pause":
            return changed(*state.pause(subscription_id))
        if action == "resume":
            return changed(*state.resume(subscription_id, params))
        if action == "refund":
            return state.refund(subscription_id)
        if action == "dispute":
            return state.dispute(subscription_id)
        raise StripeApiError(404, f"Unrecognized request URL ({request.path})")

    return {
        "customers.create": lambda s, p, r, a: s.create_customer(p),
        "customers.retrieve": lambda s, p, r, a: s.customer(a["id"]),
        "customers.delete": lambda s, p, r, a: s.delete_customer(a["id"]),
        "checkout.list": lambda s, p, r, a: page(s.list_checkout_sessions(p), p, "/v1/checkout/sessions"),
        "checkout.expire": lambda s, p, r, a: s.expire_checkout_session(a["id"]),
        "charges.list": lambda s, p, r, a: page(s.list_charges(p), p, "/v1/charges"),
        "charges.retrieve": lambda s, p, r, a: s.charge(a["id"]),
        "disputes.list": lambda s, p, r, a: page(s.list_disputes(p), p, "/v1/disputes"),
        "disputes.retrieve": lambda s, p, r, a: s.dispute_of(a["id"]),
        # Stripe's own close: the merchant gives up, so the dispute is lost.
        "disputes.close": lambda s, p, r, a: s.close_dispute(a["id"], "lost")[0],
        "local.dispute_close": local_dispute_close,
        "local.subscription": local_subscription,
        "checkout.create": lambda s, p, r, a: s.create_checkout_session(p),
        "checkout.retrieve": lambda s, p, r, a: s.checkout_session(a["id"]),
        "portal.create": lambda s, p, r, a: s.create_portal_session(p),
        "subscriptions.retrieve": lambda s, p, r, a: s.subscription(a["id"]),
        "subscriptions.list": lambda s, p, r, a: page(s.list_subscriptions(p), p, "/v1/subscriptions"),
        "subscriptions.cancel": lambda s, p, r, a: s.cancel_subscription(a["id"])[0],
        "subscriptions.resume": lambda s, p, r, a: s.resume(a["id"], p)[0],
        "local.add_card": lambda s, p, r, a: s.add_card(a["id"]),
        "events.retrieve": lambda s, p, r, a: s.event(a["id"]),
        "events.list": lambda s, p, r, a: page(s.list_events(p), p, "/v1/events"),
        "local.complete": lambda s, p, r, a: s.complete_checkout(a["id"], p),
        "local.cancel": local_cancel,
        "local.update": local_update,
        "local.faults": faults,
        "local.holds": holds,
        "local.deliveries": deliveries,
    }


URLS = Map(
    [
        Rule("/v1/customers", methods=["POST"], endpoint="customers.create"),
        Rule("/v1/customers/<id>", methods=["GET"], endpoint="customers.retrieve"),
        Rule("/v1/customers/<id>", methods=["DELETE"], endpoint="customers.delete"),
        Rule("/v1/checkout/sessions", methods=["POST"], endpoint="checkout.create"),
        Rule("/v1/checkout/sessions", methods=["GET"], endpoint="checkout.list"),
        Rule("/v1/checkout/sessions/<id>", methods=["GET"], endpoint="checkout.retrieve"),
        Rule("/v1/checkout/sessions/<id>/expire", methods=["POST"], endpoint="checkout.expire"),
        Rule("/v1/charges", methods=["GET"], endpoint="charges.list"),
        Rule("/v1/charges/<id>", methods=["GET"], endpoint="charges.retrieve"),
        Rule("/v1/disputes", methods=["GET"], endpoint="disputes.list"),
        Rule("/v1/disputes/<id>", methods=["GET"], endpoint="disputes.retrieve"),
        Rule("/v1/disputes/<id>/close", methods=["POST"], endpoint="disputes.close"),
        Rule("/v1/billing_portal/sessions", methods=["POST"], endpoint="portal.create"),
        Rule("/v1/subscriptions", methods=["GET"], endpoint="subscriptions.list"),
        Rule("/v1/subscriptions/<id>", methods=["GET"], endpoint="subscriptions.retrieve"),
        Rule("/v1/subscriptions/<id>", methods=["DELETE"], endpoint="subscriptions.cancel"),
        Rule("/v1/subscriptions/<id>/resume", methods=["POST"], endpoint="subscriptions.resume"),
        Rule("/v1/events", methods=["GET"], endpoint="events.list"),
        Rule("/v1/events/<id>", methods=["GET"], endpoint="events.retrieve"),
        Rule("/_local/checkout_sessions/<id>/complete", methods=["POST"], endpoint="local.complete"),
        Rule("/_local/customers/<id>/add_card", methods=["POST"], endpoint="local.add_card"),
        Rule("/_local/subscriptions/<id>/cancel", methods=["POST"], endpoint="local.cancel"),
        Rule("/_local/subscriptions/<id>/update", methods=["POST"], endpoint="local.update"),
        Rule(
            "/_local/subscriptions/<id>/<any(trial_end,payment_failed,pause,resume,refund,dispute):action>",
            methods=["POST"],
            endpoint="local.subscription",
        ),
        Rule("/_local/disputes/<id>/close", methods=["POST"], endpoint="local.dispute_close"),
        Rule("/_local/webhook_faults", methods=["GET", "PUT"], endpoint="local.faults"),
        Rule("/_local/api_holds", methods=["GET", "PUT", "DELETE"], endpoint="local.holds"),
        Rule("/_local/deliveries", methods=["GET", "DELETE"], endpoint="local.deliveries"),
        Rule("/checkout/<id>", methods=["GET", "POST"], endpoint="page.checkout"),
        Rule("/billing_portal/<id>", methods=["GET"], endpoint="page.portal"),
        Rule("/billing_portal/<id>/cancel/<subscription>", methods=["POST"], endpoint="page.cancel"),
        Rule("/billing_portal/<id>/add_card", methods=["POST"], endpoint="page.add_card"),
    ]
)


class StripeApp:
    def __init__(self, state: StripeState) -> None:
        self.state = state
        self.handlers = _routes()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, args = URLS.bind_to_environ(environ).match()
            if endpoint.startswith("page."):
                return self._page(request, endpoint, args)(environ, start_response)
            if not endpoint.startswith("local.") and not request.headers.get("Authorization", "").startswith("Bearer "):
                raise StripeApiError(401, "You did not provide an API key.")
            response = self._idempotent(request, endpoint, args)
        except StripeApiError as exc:
            response = _json(exc.body, exc.status)
        except HTTPException as exc:
            response = _json(
                StripeApiError(exc.code or 404, f"Unrecognized request URL ({request.path})").body, exc.code or 404
            )
        return response(environ, start_response)

    def _page(self, request: Request, endpoint: str, args: Mapping[str, Any]) -> Response:
        """The hosted pages a demo user clicks through: pay at checkout; cancel, or add a card, in
        the portal."""
        if endpoint == "page.checkout":
            session = self.state.checkout_session(args["id"])
            if request.method == "POST":
                self.state.complete_checkout(args["id"])
                return redirect(str(session["success_url"]), 303)
            return _html(
                f'<h1>Local Stripe checkout</h1><form method="post"><button>Pay {session["id"]}</button></form>'
            )
        with self.state.lock:
            portal = self.state.portal_sessions.get(args["id"])
        if portal is None:
            raise missing("billing_portal.session", args["id"])
        if endpoint == "page.cancel":
            self.state.cancel_subscription(args["subscription"])
            return redirect(str(portal["return_url"]), 303)
        if endpoint == "page.add_card":
            self.state.add_card(portal["customer"])
            return redirect(str(portal["return_url"]), 303)
        live = self.state.list_subscriptions({"customer": portal["customer"]})
        buttons = "".join(
            f'<form method="post" action="/billing_portal/{portal["id"]}/cancel/{s["id"]}">'
            f"<button>Cancel {s['id']} ({s['status']})</button></form>"
            for s in live
        )
        add_card = (
            f'<form method="post" action="/billing_portal/{portal["id"]}/add_card"><button>Add a card</button></form>'
        )
        return _html(f"<h1>Local Stripe billing portal</h1>{buttons or '<p>No subscriptions.</p>'}{add_card}")

    def _idempotent(self, request: Request, endpoint: str, args: Mapping[str, Any]) -> Response:
        """A POST with an Idempotency-Key goes through Stripe's idempotency layer
        (devstack/stripe_idempotency.py): the first answer again, or a refusal."""
        params = _params(request)
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if not key:
            result, replayed = self._handle(request, endpoint, args, params), False
        else:
            try:
                result, replayed = self.state.idempotency.run(
                    key,
                    f"{request.method} {request.path}",
                    params,
                    lambda: self._handle(request, endpoint, args, params),
                )
            except IdempotencyRefused as exc:
                return _json(exc.body, exc.status)
        self.state.holds.pass_answer(request.method, request.path, params)
        return _json(result, 200, {"Idempotent-Replayed": "true"} if replayed else None)

    def _handle(self, request: Request, endpoint: str, args: Mapping[str, Any], params: Obj) -> Obj:
        body = self.handlers[endpoint](self.state, params, request, args)
        with self.state.lock:  # a consistent copy: other requests change these objects
            return objects.public(body)


def _params(request: Request) -> Obj:
    source = request.get_data(as_text=True) if request.method == "POST" else request.query_string.decode()
    return decode_form(parse_qsl(source, keep_blank_values=True))


def _html(body: str) -> Response:
    return Response(f"<!doctype html><html><body>{body}</body></html>", mimetype="text/html")


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


class PooledServer(BaseWSGIServer):
    """Serves each connection on a bounded thread pool (werkzeug's threaded server starts
    one thread per connection without limit)."""

    def __init__(self, host: str, port: int, app: Any, workers: int) -> None:
        super().__init__(host, port, app)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stripe-http")

    def process_request(self, request: Any, client_address: Any) -> None:
        self.pool.submit(self._handle, request, client_address)

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


def main() -> None:
    config = settings()
    deliverer = Deliverer(
        config.gateway_url + "/stripe/webhook",
        lambda: settings().stripe_webhook_secrets,
        max_attempts=config.stripe_webhook_max_attempts,
        backoff_s=config.stripe_webhook_backoff_s,
    )
    state = StripeState(deliverer, config.stripe_api_base)
    server = PooledServer("127.0.0.1", port_of_url(config.stripe_api_base), StripeApp(state), workers=16)
    try:
        server.serve_forever()
    finally:
        deliverer.stop()


if __name__ == "__main__":
    main()
