"""`python -m gateway`: the local gateway on 127.0.0.1:$GATEWAY_PORT."""

from werkzeug.serving import run_simple

from gateway.app import create_gateway
from lib.config import settings

if __name__ == "__main__":
    run_simple("127.0.0.1", settings().gateway_port, create_gateway(), threaded=True, use_reloader=False)
