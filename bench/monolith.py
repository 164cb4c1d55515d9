"""The baseline: one process that imports and sets up every SDK the project uses, as a single
app serving every route would before its first request."""

from __future__ import annotations

import importlib

SDK_MODULES = (
    "functions_framework",
    "flask",
    "pydantic.main",
    "yaml",
    "requests",
    "tenacity",
    "firebase_admin.auth",
    "firebase_admin.messaging",
    "firebase_functions.identity_fn",
    "google.cloud.firestore",
    "google.cloud.tasks_v2",
    "stripe",
)


def set_up_everything() -> None:
    for name in SDK_MODULES:
        importlib.import_module(name)

    import grpc  # type: ignore[import-untyped]
    import stripe
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    from lib import firebase, firestore
    from lib.config import settings

    config = settings()
    firebase.app()
    firestore.client()
    tasks_v2.CloudTasksClient(
        transport=CloudTasksGrpcTransport(channel=grpc.insecure_channel(config.cloud_tasks_emulator_host))
    )
    stripe.StripeClient(config.stripe_api_key, base_addresses={"api": config.stripe_api_base})
