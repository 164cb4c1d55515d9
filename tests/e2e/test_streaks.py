"""POST /v1/checkins, GET /v1/streak and the day rule of PATCH /v1/me through the gateway, as the app calls them.

The server clock cannot be moved, so DST changes are covered by the unit and property
tests; here the zones are chosen for what real time offers: Kiritimati (UTC+14), St John's
(a half-hour offset with DST) and a zone on another calendar date than UTC right now.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.conftest import AppUser, GatewayClient
from tests.support.documents import checkin_days
from tests.support.streaks import LocalDay, local_today, seed_streak

KIRITIMATI = "Pacific/Kiritimati"
ST_JOHNS = "America/St_Johns"


def check_in(gateway: GatewayClient, user: AppUser, **body: Any) -> requests.Response:
    return gateway.post("/v1/checkins", json=body, headers=user.headers)


def set_timezone(gateway: GatewayClient, user: AppUser, zone_name: str) -> None:
    response = gateway.patch("/v1/me", json={"timezone": zone_name}, headers=user.headers)
    assert response.status_code == 200, response.text


def assert_invalid_argument(response: requests.Response, field: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid-argument"
    assert error["message"].startswith(f"{field}:")


def test_first_checkin_answers_a_streak_of_one_for_today(gateway: GatewayClient, user: AppUser) -> None:
    day = LocalDay("UTC")
    response = check_in(gateway, user)
    assert response.status_code == 200, response.text
    body = response.json()
    assert date.fromisoformat(body["local_date"]) in day.candidates()
    assert body == {
        "local_date": body["local_date"],
        "timezone": "UTC",
        "day_start": "00:00",
        "current": 1,
        "longest": 1,
        "last_day": body["local_date"],
        "today_done": True,
        "freezes": 0,
        "next_timezone_change_at": None,
    }


def test_retried_checkin_answers_the_same_body(gateway: GatewayClient, user: AppUser) -> None:
    first = check_in(gateway, user, timezone=ST_JOHNS)
    retry = check_in(gateway, user, timezone=ST_JOHNS)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()
    assert checkin_days(user.uid) == [first.json()["local_date"]]


def test_kiritimati_user_checks_in_on_the_kiritimati_date(gateway: GatewayClient, user: AppUser) -> None:
    set_timezone(gateway, user, KIRITIMATI)
    day = LocalDay(KIRITIMATI)
    body = check_in(gateway, user).json()
    assert body["timezone"] == KIRITIMATI
    assert date.fromisoformat(body["local_date"]) in day.candidates()
    view = gateway.get("/v1/streak", headers=user.headers).json()
    assert view["timezone"] == KIRITIMATI
    assert view["today"] == body["local_date"]
    assert view["days"][-1] == {"day": body["local_date"], "done": True, "frozen": False}


def test_zone_on_another_date_than_utc_counts_its_own_date(gateway: GatewayClient, user: AppUser) -> None:
    utc_today = local_today("UTC")
    zone_name = next(z for z in (KIRITIMATI, "Etc/GMT+12") if local_today(z) != utc_today)
    day = LocalDay(zone_name)
    body = check_in(gateway, user, timezone=zone_name).json()
    assert date.fromisoformat(body["local_date"]) in day.candidates()
    assert date.fromisoformat(body["local_date"]) != utc_today


def test_st_johns_checkin_continues_yesterdays_streak(gateway: GatewayClient, user: AppUser) -> None:
    set_timezone(gateway, user, ST_JOHNS)
    today = local_today(ST_JOHNS)
    seed_streak(user.uid, current=6, longest=6, last_day=today - timedelta(days=1), timezone=ST_JOHNS)
    body = check_in(gateway, user).json()
    assert (body["current"], body["longest"]) == (7, 7)


def test_checkin_after_a_missed_day_restarts_at_one_keeping_longest(gateway: GatewayClient, user: AppUser) -> None:
    set_timezone(gateway, user, ST_JOHNS)
    today = local_today(ST_JOHNS)
    seed_streak(user.uid, current=6, longest=6, last_day=today - timedelta(days=2), timezone=ST_JOHNS)
    assert gateway.get("/v1/streak", headers=user.headers).json()["current"] == 0
    body = check_in(gateway, user).json()
    assert (body["current"], body["longest"]) == (1, 6)


def test_a_checkin_naming_another_date_or_clock_counts_for_today(gateway: GatewayClient, user: AppUser) -> None:
    # Older apps send local_date and client_time; the server's clock and the day rule decide.
    day = LocalDay(ST_JOHNS)
    two_days_ago = day.before - timedelta(days=2)
    skewed = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    reply = check_in(gateway, user, timezone=ST_JOHNS, local_date=two_days_ago.isoformat(), client_time=skewed)
    assert reply.status_code == 200, reply.text
    assert date.fromisoformat(reply.json()["local_date"]) in day.candidates()
    assert checkin_days(user.uid) == [reply.json()["local_date"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Nowhere/Atlantis"}, "timezone"),
        ({"streak": 100}, "streak"),
    ],
)
def test_bad_checkin_body_is_400_naming_the_field(
    gateway: GatewayClient, user: AppUser, body: dict[str, Any], field: str
) -> None:
    assert_invalid_argument(gateway.post("/v1/checkins", json=body, headers=user.headers), field)


def test_checkin_body_that_is_not_json_is_400(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.post("/v1/checkins", data=b"{not json", headers=user.headers)
    assert_invalid_argument(response, "body")


def test_checkin_without_a_token_is_401(gateway: GatewayClient) -> None:
    response = gateway.post("/v1/checkins", json={})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth/missing-token"


def test_two_devices_checking_in_together_count_the_day_once(gateway: GatewayClient, user: AppUser) -> None:
    devices = 12
    start = threading.Barrier(devices)

    def device(zone_name: str) -> requests.Response:
        start.wait()
        return requests.post(
            f"{gateway.base_url}/v1/checkins", json={"timezone": zone_name}, headers=user.headers, timeout=60
        )

    with ThreadPoolExecutor(max_workers=devices) as pool:
        responses = list(pool.map(device, [ST_JOHNS] * devices))
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert responses[0].json()["current"] == 1
    assert checkin_days(user.uid) == [responses[0].json()["local_date"]]


def test_streak_shape_lists_thirty_local_days_ending_today(gateway: GatewayClient, user: AppUser) -> None:
    set_timezone(gateway, user, ST_JOHNS)
    today = local_today(ST_JOHNS)
    seed_streak(user.uid, current=3, longest=4, last_day=today - timedelta(days=1), timezone=ST_JOHNS)
    view = gateway.get("/v1/streak", headers=user.headers).json()
    assert view["today"] == today.isoformat()
    assert (view["current"], view["longest"], view["today_done"]) == (3, 4, False)
    assert [d["day"] for d in view["days"]] == [(today - timedelta(days=29 - i)).isoformat() for i in range(30)]
    assert [d["day"] for d in view["days"] if d["done"]] == [(today - timedelta(days=n)).isoformat() for n in (3, 2, 1)]
    check_in(gateway, user)
    after = gateway.get("/v1/streak", headers=user.headers).json()
    assert (after["current"], after["longest"], after["today_done"]) == (4, 4, True)
    assert after["days"][-1] == {"day": today.isoformat(), "done": True, "frozen": False}


def test_streak_of_a_new_user_is_empty(gateway: GatewayClient, user: AppUser) -> None:
    view = gateway.get("/v1/streak", headers=user.headers).json()
    assert (view["current"], view["longest"], view["last_day"], view["today_done"]) == (0, 0, None, False)
    assert len(view["days"]) == 30
    assert not any(d["done"] for d in view["days"])


def test_streak_takes_no_timezone_query_it_is_judged_in_the_profile_zone(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.get("/v1/streak", params={"timezone": KIRITIMATI}, headers=user.headers)
    assert_invalid_argument(response, "timezone")
    set_timezone(gateway, user, KIRITIMATI)
    day = LocalDay(KIRITIMATI)
    view = gateway.get("/v1/streak", headers=user.headers).json()
    assert view["timezone"] == KIRITIMATI
    assert date.fromisoformat(view["today"]) in day.candidates()


def test_checkin_then_profile_shows_the_streak(gateway: GatewayClient, user: AppUser) -> None:
    body = check_in(gateway, user).json()
    profile = gateway.get("/v1/me", headers=user.headers).json()
    assert profile["streak"] == {"current": 1, "longest": 1, "last_day": body["local_date"], "freezes": 0}


def test_openapi_documents_the_streak_routes(gateway: GatewayClient) -> None:
    paths = gateway.get("/openapi.json").json()["paths"]
    assert paths["/v1/checkins"]["post"]["operationId"] == "checkin_create"
    assert paths["/v1/streak"]["get"]["operationId"] == "streak_get"


def test_three_zones_on_three_dates_a_few_seconds_apart_count_one_day(gateway: GatewayClient, user: AppUser) -> None:
    # Around 11:00 UTC these are three different dates; at any hour they are at least two.
    replies = [check_in(gateway, user, timezone=z).json() for z in ("Etc/GMT+12", "UTC", "Etc/GMT-14")]
    assert [r["timezone"] for r in replies] == ["Etc/GMT+12"] * 3
    assert [r["current"] for r in replies] == [1, 1, 1]
    assert len(checkin_days(user.uid)) == 1
    view = gateway.get("/v1/streak", headers=user.headers).json()
    assert (view["current"], view["today_done"], view["today"]) == (1, True, replies[0]["local_date"])
    assert view["days"][-1]["done"] is True


def test_a_day_missed_in_london_is_not_forgiven_by_checking_in_from_paris(
    gateway: GatewayClient, user: AppUser
) -> None:
    yesterday_missed = local_today("Europe/London") - timedelta(days=2)
    seed_streak(
        user.uid, current=5, longest=5, last_day=yesterday_missed, timezone="Europe/London", judged_in="Europe/London"
    )
    response = check_in(gateway, user, timezone="Europe/Paris")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["timezone"], body["current"], body["longest"]) == ("Europe/Paris", 1, 5)


def test_a_missed_day_is_frozen_and_the_streak_goes_on(gateway: GatewayClient, user: AppUser) -> None:
    set_timezone(gateway, user, ST_JOHNS)
    today = local_today(ST_JOHNS)
    seed_streak(user.uid, current=3, longest=3, last_day=today - timedelta(days=2), timezone=ST_JOHNS, freezes=1)
    before = gateway.get("/v1/streak", headers=user.headers).json()
    assert (before["current"], before["freezes"]) == (3, 0)
    body = check_in(gateway, user).json()
    assert (body["current"], body["freezes"]) == (4, 0)
    view = gateway.get("/v1/streak", headers=user.headers).json()
    assert view["days"][-3:] == [
        {"day": (today - timedelta(days=2)).isoformat(), "done": True, "frozen": False},
        {"day": (today - timedelta(days=1)).isoformat(), "done": False, "frozen": True},
        {"day": today.isoformat(), "done": True, "frozen": False},
    ]


def zone_between_one_and_three_now() -> tuple[str, datetime]:
    """A fixed-offset zone where the wall clock now reads between 01:00 and 03:00, and that time."""
    now = datetime.now(UTC)
    for hours in range(-12, 15):
        wall = now + timedelta(hours=hours)
        if wall.hour in (1, 2):
            return (f"Etc/GMT{-hours:+d}" if hours else "Etc/GMT"), wall
    raise AssertionError("offsets from -12 to +14 cover every hour")


def test_a_night_owl_with_a_four_oclock_day_start_checks_in_for_the_previous_day(
    gateway: GatewayClient, user: AppUser
) -> None:
    zone_name, wall = zone_between_one_and_three_now()
    response = gateway.patch("/v1/me", json={"timezone": zone_name, "day_start": "04:00"}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["day_start"] == "04:00"
    body = check_in(gateway, user).json()
    assert body["local_date"] == (wall.date() - timedelta(days=1)).isoformat()
    assert (body["timezone"], body["day_start"]) == (zone_name, "04:00")
    view = gateway.get("/v1/streak", headers=user.headers).json()
    assert (view["today"], view["today_done"], view["day_start"]) == (body["local_date"], True, "04:00")


def test_day_start_after_six_is_400_naming_the_field(gateway: GatewayClient, user: AppUser) -> None:
    response = gateway.patch("/v1/me", json={"day_start": "06:30"}, headers=user.headers)
    assert_invalid_argument(response, "day_start")


def test_a_second_day_rule_change_within_24_hours_is_409(gateway: GatewayClient, user: AppUser) -> None:
    set_timezone(gateway, user, ST_JOHNS)
    response = gateway.patch("/v1/me", json={"day_start": "03:00"}, headers=user.headers)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "profile/day-rule-changed-recently"
    assert 0 < int(response.headers["Retry-After"]) <= 86400
    profile = gateway.get("/v1/me", headers=user.headers).json()
    assert (profile["timezone"], profile["day_start"]) == (ST_JOHNS, "00:00")
    assert profile["next_timezone_change_at"] is not None
