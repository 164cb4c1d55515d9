import pytest

from functions.auth_hooks.blocking import is_blocked_email
from functions.auth_hooks.profile import ProfilePatch
from lib import errors
from lib.http import parse_model

BLOCKED = frozenset({"mailinator.com"})


@pytest.mark.parametrize("email", ["a@mailinator.com", "a@MAILINATOR.com", "a@eu.mailinator.com"])
def test_blocked_domains_and_their_subdomains_are_rejected(email: str) -> None:
    assert is_blocked_email(email, BLOCKED)


@pytest.mark.parametrize("email", ["a@example.com", "a@notmailinator.com", None, ""])
def test_other_emails_pass(email: str | None) -> None:
    assert not is_blocked_email(email, BLOCKED)


def test_a_patch_accepts_a_real_iana_zone_and_strips_the_name() -> None:
    patch = parse_model(ProfilePatch, {"display_name": "  Ana ", "timezone": "America/St_Johns"})
    assert (patch.display_name, patch.timezone) == ("Ana", "America/St_Johns")


@pytest.mark.parametrize(
    "body",
    [
        {"timezone": "Mars/Olympus"},
        {"timezone": "+02:00"},
        {"display_name": "   "},
        {"display_name": "x" * 81},
        {},
        {"plan": "premium"},
        {"display_name": 5},
    ],
)
def test_a_bad_patch_is_invalid_argument(body: dict[str, object]) -> None:
    with pytest.raises(errors.InvalidArgument):
        parse_model(ProfilePatch, body)


def test_health_is_degraded_naming_the_dependency_that_did_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from functions.auth_hooks import health

    def refused() -> None:
        raise ConnectionError("refused")

    monkeypatch.setattr(health, "TIMEOUT_S", 0.2)
    monkeypatch.setattr(health, "_firestore", refused)
    monkeypatch.setattr(health, "_auth", lambda: None)
    assert health.check_health() == health.Health(status="degraded", firestore=False, auth=True)
    monkeypatch.setattr(health, "_firestore", lambda: None)
    monkeypatch.setattr(health, "_auth", lambda: time.sleep(1))
    started = time.monotonic()
    assert health.check_health() == health.Health(status="degraded", firestore=True, auth=False)
    assert time.monotonic() - started < 0.9
    monkeypatch.setattr(health, "_auth", lambda: None)
    assert health.check_health().status == "ok"
