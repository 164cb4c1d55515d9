"""Entry point of streaks: POST /v1/checkins and GET /v1/streak."""

from __future__ import annotations

import flask

from functions.streaks import checkins
from functions.streaks.api import CheckinRequest, StreakQuery
from lib.auth import Caller
from lib.http import Reply, parse_body, parse_model
from lib.routing import serve


def create_checkin(request: flask.Request, caller: Caller) -> Reply:
    body = parse_body(request, CheckinRequest)
    return checkins.check_in(caller.uid, body).model_dump(mode="json")


def get_streak(request: flask.Request, caller: Caller) -> Reply:
    parse_model(StreakQuery, request.args.to_dict())
    return checkins.streak_of(caller.uid).model_dump(mode="json")


streaks = serve("streaks", "streaks", {"checkin_create": create_checkin, "streak_get": get_streak})
