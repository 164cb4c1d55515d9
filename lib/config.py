"""Configuration from the environment, read and validated once per process.

The defaults make the local stack (`make run`) work with no environment at all. A deployed
function (ENVIRONMENT=production) takes none of them: lib/deployment refuses to start one that
lacks a setting it reads or still holds a local stand-in.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LOCAL_PROJECT = "demo-wellness"
CDN_KEY_NAME = re.compile(r"[A-Za-z0-9_-]{1,63}")

# Where the local stack's emulators and stand-in servers listen. In production these settings
# are empty, so the real services are used; a test may still point a production-configured
# function at the emulators by setting them.
LOCAL_ENDPOINTS = {
    "firestore_emulator_host": "127.0.0.1:8080",
    "firebase_auth_emulator_host": "127.0.0.1:9099",
    "cloud_tasks_emulator_host": "127.0.0.1:8123",
    "fcm_endpoint": "http://127.0.0.1:8124",
    "stripe_api_base": "http://127.0.0.1:12111",
    "google_play_api_base": "http://127.0.0.1:8125",
}
# The local App Store (devstack/app_store_server.py): its address and the certificate chain it
# signs with, whose root is the only one trusted locally. Filled only locally. A production
# Settings refuses the chain (only Apple's roots are trusted there); a function on Cloud Run
# refuses both (lib/deployment.py). An address alone fools nobody: every answer is verified.
LOCAL_APP_STORE = {
    "app_store_api_base": "http://127.0.0.1:12126",
    "app_store_local_chain": str(Path(__file__).resolve().parent.parent / ".devstack" / "app-store-chain.pem"),
}
# Google endpoints a test may replace; empty in every deployment (lib/deployment.py).
ENDPOINT_OVERRIDES = frozenset({"oidc_certs_url"})
# Read only by the local gateway and local CDN: in the cloud the load balancer, Cloud Armor and
# Cloud CDN do their work, so no deployed function reads these; nor ENDPOINT_OVERRIDES.
LOCAL_ONLY = frozenset(
    {
        *LOCAL_ENDPOINTS,
        *LOCAL_APP_STORE,
        "gateway_port",
        "rate_app_burst",
        "rate_app_per_second",
        "rate_billing_burst",
        "rate_billing_per_second",
        "media_dir",
        *ENDPOINT_OVERRIDES,
    }
)
# Defaults that stand in for a production value locally (a test key, a local URL, a demo
# project): a deployed function must be given the real one.
STAND_INS = frozenset(
    {
        "google_cloud_project",
        "reminders_task_target",
        "reminders_task_service_account",
        "internal_audience",
        "internal_callers",
        "stripe_api_key",
        "stripe_webhook_secret",
        "stripe_price_id",
        "app_return_url",
        "cdn_base_url",
        "cdn_keys",
        "cdn_signing_key_name",
        "app_store_bundle_id",
        "app_store_app_apple_id",
        "app_store_key_id",
        "app_store_issuer_id",
        "app_store_private_key",
        "google_play_package_name",
        "google_play_service_account_key",
    }
)
# The local App Store's In-App Purchase key, published like `whsec_local_dev`: the local App
# Store checks the API client's bearer tokens against it.
LOCAL_APP_STORE_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyz9ZnXI08YMJgKP3
EhXXxamKH0IyMaXiI9BesojSzjOhRANCAAR9poKajR28TTO5oiWScr+eXfByhepR
1yAqSVE+tahoVEwVKbyXU9gDCnI2yJ9HYxELZ1zG19TMTzE5S1UnCl0a
-----END PRIVATE KEY-----
"""


def cdn_key_table(value: str) -> dict[str, str]:
    """`name:key,name2:key2` as {name: key}; Cloud CDN keys are 128-bit, base64url-encoded."""
    table: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in value.split(","))):
        name, _, key = entry.partition(":")
        if not CDN_KEY_NAME.fullmatch(name):
            raise ValueError(f"cdn key name {name!r} must be 1-63 of A-Z a-z 0-9 _ -")
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ValueError(f"cdn key {name!r} is not base64url") from exc
        if len(raw) != 16:
            raise ValueError(f"cdn key {name!r} must be 16 bytes, not {len(raw)}")
        table[name] = key
    if not table:
        raise ValueError("at least one cdn key is needed")
    return table


class Settings(BaseModel):
    """Each field comes from the environment variable of the same name, in any case
    (GATEWAY_PORT sets gateway_port); keyword arguments take precedence over the environment.
    A plain pydantic model, so a cold start never loads pydantic-settings for what
    `_from_environment` does (docs/architecture.md)."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    environment: Literal["local", "production"] = "local"
    google_cloud_project: str = LOCAL_PROJECT
    region: str = "europe-west1"

    # Empty: the real service. Locally, filled from LOCAL_ENDPOINTS.
    firestore_emulator_host: str = ""
    firebase_auth_emulator_host: str = ""
    cloud_tasks_emulator_host: str = ""
    fcm_endpoint: str = ""
    stripe_api_base: str = ""
    gateway_port: int = Field(default=8000, ge=1, le=65535)

    blocked_email_domains: str = "mailinator.com,guerrillamail.com,10minutemail.com"
    max_request_bytes: int = Field(default=64 * 1024, gt=0)
    # An app request answers within this many seconds, 503 `unavailable` if its dependencies have
    # not answered by then: under a mobile client's own timeout (OkHttp reads for 10 s) and under
    # the functions' 60 s Cloud Run timeout (docs/decisions/0020-app-requests-answer-within-a-deadline.md).
    app_deadline_s: float = Field(default=8.0, gt=0, lt=60)
    rate_app_burst: int = Field(default=60, gt=0)
    rate_app_per_second: float = Field(default=10.0, gt=0)
    rate_billing_burst: int = Field(default=10, gt=0)
    rate_billing_per_second: float = Field(default=10 / 60, gt=0)

    reminders_queue: str = "reminders"
    reminders_batch_size: int = Field(default=500, gt=0, le=500)
    # The tick reads due users in pages of this many and cuts each page into batches, because
    # every query pays a fixed cost (docs/decisions/0003-tick-pages-of-5000-batches-of-500.md).
    reminders_tick_page_size: int = Field(default=5000, gt=0)
    reminders_max_attempts: int = Field(default=5, gt=0)
    reminders_send_concurrency: int = Field(default=50, gt=0)
    reminders_task_target: str = ""
    # The emulator dispatches one task at a time per queue; batches spread over this many
    # queues (`reminders`, `reminders-1`, ...) to get the concurrency a production queue's
    # max_concurrent_dispatches gives (docs/reminders.md).
    reminders_queue_shards: int = Field(default=1, ge=1, le=32)
    reminders_retry_base_s: int = Field(default=2, gt=0)
    # A tick spreads its sends over this many seconds, each user at a slot of their own, so a
    # minute with thousands of due users does not reach FCM in one second (0: no spread).
    reminders_spread_s: int = Field(default=60, ge=0, le=600)
    # The account whose OIDC token each task carries; Cloud Run refuses a task without one.
    reminders_task_service_account: str = ""
    token_idle_days: int = Field(default=270, gt=0)

    # Internal routes in the cloud: the audience their OIDC token must name (the function's own
    # run.app URL, as Cloud Scheduler and Cloud Tasks send it) and the service accounts allowed to
    # call them, comma-separated. Locally internal routes answer only to the loopback address.
    internal_audience: str = ""
    internal_callers: str = ""
    # Empty: Google's OAuth2 certificates (https://www.googleapis.com/oauth2/v1/certs).
    oidc_certs_url: str = ""

    stripe_api_key: str = "sk_test_local"
    stripe_webhook_secret: str = "whsec_local_dev"  # noqa: S105 - the local stack's published secret
    stripe_price_id: str = "price_premium_monthly"
    stripe_webhook_tolerance_s: int = 300
    app_return_url: str = "http://127.0.0.1:8000/billing/done"
    stripe_plan: str = "premium"
    stripe_timeout_s: float = Field(default=10.0, gt=0)
    stripe_event_lease_s: float = Field(default=60.0, gt=0)
    stripe_event_keep_days: int = Field(default=30, gt=3)
    stripe_reconcile_window_h: int = Field(default=72, gt=0)
    stripe_webhook_max_attempts: int = Field(default=8, gt=0)
    stripe_webhook_backoff_s: float = Field(default=0.5, gt=0)
    # How long a past_due subscription keeps access while Stripe retries the payment.
    stripe_grace_days: int = Field(default=7, ge=0)
    # The trial a first checkout offers (0: none); it needs no card and pauses when it ends without one.
    stripe_trial_days: int = Field(default=7, ge=0)

    # App Store (docs/app-store.md). The key, its id and the issuer id are App Store Connect's
    # In-App Purchase key (Secret Manager in the cloud). Empty api base and chain: Apple's
    # address for the environment and Apple's root certificates; locally the local App Store's.
    app_store_bundle_id: str = "app.wellness.local"
    app_store_app_apple_id: int = Field(default=1234567890, gt=0)
    app_store_environment: Literal["Production", "Sandbox"] = "Production"
    app_store_key_id: str = "LOCALKEY01"
    app_store_issuer_id: str = "00000000-0000-4000-8000-00000000a770"
    app_store_private_key: str = LOCAL_APP_STORE_KEY
    app_store_api_base: str = ""
    app_store_local_chain: str = ""
    app_store_notification_lease_s: float = Field(default=60.0, gt=0)
    # Apple retries a notification for about three days; a record is kept longer than that.
    app_store_notification_keep_days: int = Field(default=30, gt=3)
    # Google Play: the app's package, and the service account (its JSON key, from Secret Manager
    # in the cloud) that Play Console lets read and acknowledge the app's purchases. Locally the
    # stack makes a key whose token_uri is the local Play Developer API (docs/google-play.md).
    google_play_package_name: str = "com.example.wellness.local"
    google_play_service_account_key: str = ""
    google_play_api_base: str = ""
    google_play_timeout_s: float = Field(default=10.0, gt=0)
    # A notification's lease: the push subscription's acknowledgement deadline (terraform/google_play.tf).
    google_play_notification_lease_s: float = Field(default=60.0, gt=0)
    # How long a Pub/Sub message id is remembered: past Pub/Sub's 7-day message retention.
    google_play_notification_keep_days: int = Field(default=10, gt=7)

    # Media (Cloud CDN). In the cloud CDN_KEYS comes from Secret Manager (a secret environment
    # variable set by Terraform); several "name:base64url-key" entries are valid at once so a
    # key can be rotated, and CDN_SIGNING_KEY_NAME picks the one new URLs are signed with.
    cdn_base_url: str = ""
    cdn_keys: str = "local-key:bG9jYWwtY2RuLWtleS0xNg=="
    cdn_signing_key_name: str = "local-key"
    media_url_ttl_s: int = Field(default=600, gt=0, le=3600)
    media_dir: str = "devstack/media"

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        environment = {key.lower(): value for key, value in os.environ.items() if key.lower() in cls.model_fields}
        merged = {**environment, **data}
        if merged.get("environment", "local") == "local":
            local = {**LOCAL_ENDPOINTS, **LOCAL_APP_STORE}
            merged.update({name: value for name, value in local.items() if not merged.get(name)})
        return merged

    @model_validator(mode="after")
    def _production_trusts_only_apple(self) -> Settings:
        if self.environment == "production" and self.app_store_local_chain:
            raise ValueError("app_store_local_chain names the local App Store's root; production trusts Apple's only")
        return self

    @field_validator("cdn_keys")
    @classmethod
    def _cdn_keys_valid(cls, value: str) -> str:
        cdn_key_table(value)
        return value

    @model_validator(mode="after")
    def _cdn_signing_key_known(self) -> Settings:
        if self.cdn_signing_key_name not in cdn_key_table(self.cdn_keys):
            raise ValueError(f"cdn_signing_key_name {self.cdn_signing_key_name!r} is not one of cdn_keys")
        return self

    @property
    def cdn_signing_keys(self) -> dict[str, str]:
        """Every key the CDN accepts, by name (base64url)."""
        return cdn_key_table(self.cdn_keys)

    @property
    def media_base_url(self) -> str:
        """Where media is served: Cloud CDN in the cloud, the gateway's local CDN locally."""
        return (self.cdn_base_url or f"{self.gateway_url}/media").rstrip("/")

    @field_validator("google_cloud_project")
    @classmethod
    def _project_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @property
    def is_local(self) -> bool:
        return self.environment == "local"

    @property
    def gateway_url(self) -> str:
        """The local gateway; in the cloud the load balancer takes its place."""
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def reminders_send_url(self) -> str:
        return self.reminders_task_target or f"{self.gateway_url}/internal/reminders/send"

    @property
    def internal_caller_emails(self) -> frozenset[str]:
        return frozenset(e.strip().lower() for e in self.internal_callers.split(",") if e.strip())

    @property
    def stripe_webhook_secrets(self) -> list[str]:
        """During a secret rotation both the old and the new secret are listed, comma-separated."""
        return [s.strip() for s in self.stripe_webhook_secret.split(",") if s.strip()]

    @property
    def blocked_domains(self) -> frozenset[str]:
        return frozenset(d.strip().lower() for d in self.blocked_email_domains.split(",") if d.strip())


@functools.cache
def settings() -> Settings:
    """The process's settings; a validation error names the variable at start-up."""
    return Settings()
