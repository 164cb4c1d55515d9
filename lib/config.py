"""Configuration from the environment, read and validated once per process.

The defaults make the local stack (`make run`) work with no environment at all.
"""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_PROJECT = "demo-wellness"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    environment: Literal["local", "production"] = "local"
    google_cloud_project: str = LOCAL_PROJECT
    region: str = "europe-west1"

    firestore_emulator_host: str = "127.0.0.1:8080"
    firebase_auth_emulator_host: str = "127.0.0.1:9099"
    cloud_tasks_emulator_host: str = "127.0.0.1:8123"
    fcm_endpoint: str = "http://127.0.0.1:8124"
    stripe_api_base: str = "http://127.0.0.1:12111"
    gateway_port: int = Field(default=8000, ge=1, le=65535)
    public_base_url: str = ""

    blocked_email_domains: str = "mailinator.com,guerrillamail.com,10minutemail.com"
    max_request_bytes: int = Field(default=64 * 1024, gt=0)
    rate_app_burst: int = Field(default=60, gt=0)
    rate_app_per_second: float = Field(default=10.0, gt=0)
    rate_billing_burst: int = Field(default=10, gt=0)
    rate_billing_per_second: float = Field(default=10 / 60, gt=0)

    reminders_queue: str = "reminders"
    reminders_batch_size: int = Field(default=500, gt=0, le=500)
    reminders_max_attempts: int = Field(default=5, gt=0)
    reminders_send_concurrency: int = Field(default=50, gt=0)
    reminders_task_target: str = ""
    token_idle_days: int = Field(default=270, gt=0)

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

    cdn_base_url: str = ""
    cdn_keys: str = "local-key:bG9jYWwtZGV2LWNkbi1rZXktMTY="
    cdn_signing_key_name: str = "local-key"
    media_url_ttl_s: int = Field(default=600, gt=0)
    media_dir: str = "devstack/media"

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
        return self.public_base_url or f"http://127.0.0.1:{self.gateway_port}"

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
