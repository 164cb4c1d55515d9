"""`python -m gateway`: the local gateway on 127.0.0.1:$GATEWAY_PORT, in front of one process per
function (--topology=units, serving the OpenAPI document the stack wrote) or of every function
inside its own process (--topology=single)."""

from __future__ import annotations

import argparse
from pathlib import Path

from werkzeug.serving import run_simple

from devstack.units import unit_keys, unit_url
from gateway.app import create_gateway
from gateway.upstream import Upstreams, WsgiApp
from lib.config import settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway")
    parser.add_argument("--topology", choices=("units", "single"), default="units")
    parser.add_argument("--openapi", type=Path, help="the OpenAPI document to serve (units topology)")
    args = parser.parse_args()
    config = settings()
    apps: dict[str, WsgiApp]
    if args.topology == "units":
        if args.openapi is None:
            parser.error("--topology=units needs --openapi")
        openapi_json = args.openapi.read_text()
        upstreams = Upstreams({key: unit_url(config, key) for key in unit_keys()})
        apps = {key: upstreams.app(key) for key in unit_keys()}
    else:
        from gateway import in_process, openapi

        openapi_json = openapi.dumps(openapi.document())
        apps = {key: in_process.function_app(key) for key in unit_keys()}
    run_simple("127.0.0.1", config.gateway_port, create_gateway(config, apps.__getitem__, openapi_json), threaded=True)


if __name__ == "__main__":
    main()
