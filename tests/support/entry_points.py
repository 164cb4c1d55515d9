"""A deployed entry point (functions/<f>/main.py) served by Flask's test client, and a path of
its route with sample values for the parameters."""

from __future__ import annotations

import importlib
import re

import flask

from lib import routing


def client_for(route: routing.Route, remote_addr: str = "127.0.0.1") -> flask.testing.FlaskClient:
    entry = getattr(importlib.import_module(f"functions.{route.function}.main"), route.entry_point)
    app = flask.Flask(route.name)
    app.add_url_rule("/<path:path>", "entry", lambda path: entry(flask.request), methods=[route.method])
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote_addr
    return client


def sample_path(route: routing.Route) -> str:
    return re.sub(r"\{\w+\*?\}", "some-id", route.path)
