"""Google Play's notifications as Terraform registers them (terraform/google_play.tf): the push
subscription takes exactly local.google_play_push, which names the route on the function's
run.app URL, the audience the function checks and the account it accepts; a push token built
from those values passes the function's own check (lib/oidc.py), and one built otherwise does not.
tests/slow/test_production_start.py sends the whole push to the function started from its zip."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from lib import errors, oidc, routing
from tests.support.oidc import certs_server, oidc_token

PLAY_ROUTE = next(r for r in routing.routes() if r.auth == "pubsub_push")
KEY = f"{PLAY_ROUTE.function}-{PLAY_ROUTE.entry_point}"


@pytest.fixture(scope="module")
def certs_url() -> Iterator[str]:
    with certs_server() as url:
        yield url


def test_the_push_subscription_is_given_exactly_the_evaluated_push(resources: dict[Any, Any]) -> None:
    subscription = resources[("google_pubsub_subscription", "google_play")]
    own = "local.google_play_push"
    assert subscription["topic"] == "${google_pubsub_topic.google_play.id}"
    assert subscription["ack_deadline_seconds"] == f"${{{own}.ack_deadline_seconds}}"
    push = subscription["push_config"][0]
    assert push["push_endpoint"] == f"${{{own}.push_endpoint}}"
    assert push["oidc_token"][0] == {
        "service_account_email": f"${{{own}.service_account_email}}",
        "audience": f"${{{own}.audience}}",
    }


def test_google_play_may_publish_and_only_the_push_account_may_invoke_the_function(resources: dict[Any, Any]) -> None:
    publisher = resources[("google_pubsub_topic_iam_member", "google_play_publisher")]
    assert (publisher["role"], publisher["member"]) == (
        "roles/pubsub.publisher",
        "serviceAccount:google-play-developer-notifications@system.gserviceaccount.com",
    )
    invoker = resources[("google_cloud_run_service_iam_member", "google_play_push")]
    assert invoker["service"] == "${google_cloudfunctions2_function.fn[local.google_play_function].name}"
    assert (invoker["role"], invoker["member"]) == (
        "roles/run.invoker",
        "serviceAccount:${google_service_account.google_play_push.email}",
    )
    public = resources[("google_cloud_run_service_iam_member", "public")]
    assert "pubsub_push" in public["for_each"]


def test_pubsubs_service_agent_may_mint_the_push_accounts_tokens_and_no_others(resources: dict[Any, Any]) -> None:
    grant = resources[("google_service_account_iam_member", "google_play_push_token")]
    assert grant["service_account_id"] == "${google_service_account.google_play_push.name}"
    assert (grant["role"], grant["member"]) == (
        "roles/iam.serviceAccountTokenCreator",
        "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com",
    )


def test_the_push_goes_to_the_route_on_the_functions_run_app_url(repository: Any) -> None:
    push = repository["google_play_push"]
    endpoint = urlsplit(push["push_endpoint"])
    assert repository["functions"][KEY]["paths"] == [PLAY_ROUTE.path]
    assert f"{endpoint.scheme}://{endpoint.netloc}" == repository["function_urls"][KEY] == push["audience"]
    assert endpoint.path == PLAY_ROUTE.path
    assert repository["functions"][KEY]["access"] == "pubsub_push"


def test_the_functions_lease_is_the_subscriptions_acknowledgement_deadline(repository: Any) -> None:
    env = repository["function_env"][KEY]
    assert env["GOOGLE_PLAY_NOTIFICATION_LEASE_S"] == str(repository["google_play_push"]["ack_deadline_seconds"])


def test_the_service_account_key_is_a_secret_the_function_reads(repository: Any) -> None:
    assert repository["secrets"]["google-play-service-account-key"]["env"] == "GOOGLE_PLAY_SERVICE_ACCOUNT_KEY"
    assert "google-play-service-account-key" in repository["function_secrets"][KEY]
    assert "GOOGLE_PLAY_SERVICE_ACCOUNT_KEY" not in repository["function_env"][KEY]


def _check(repository: Any, token: str, certs_url: str) -> str:
    env = repository["function_env"][KEY]
    callers = frozenset(env["INTERNAL_CALLERS"].split(","))
    return oidc.verified_caller(
        f"Bearer {token}", audience=env["INTERNAL_AUDIENCE"], callers=callers, certs_url=certs_url
    )


def test_the_token_pubsub_sends_as_registered_is_accepted_by_the_function(repository: Any, certs_url: str) -> None:
    push = repository["google_play_push"]
    token = oidc_token(push["audience"], push["service_account_email"])
    assert _check(repository, token, certs_url) == push["service_account_email"]


def test_a_token_for_the_endpoint_or_of_another_account_is_refused(repository: Any, certs_url: str) -> None:
    push = repository["google_play_push"]
    # Pub/Sub's default audience, were Terraform to register none, is the push endpoint itself.
    with pytest.raises(errors.InvalidOidcToken):
        _check(repository, oidc_token(push["push_endpoint"], push["service_account_email"]), certs_url)
    scheduler = repository["scheduler_targets"]["billing-reconcile"]["service_account"]
    with pytest.raises(errors.CallerNotAllowed):
        _check(repository, oidc_token(push["audience"], scheduler), certs_url)
