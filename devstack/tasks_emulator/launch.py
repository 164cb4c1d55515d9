"""Starts gcloud-tasks-emulator bound to 127.0.0.1 (it binds every interface by itself).

Runs in .venv-tasks, which holds the emulator and its protobuf<5 pin.
"""

import sys

import grpc
from gcloud_tasks_emulator import __main__ as emulator_cli
from gcloud_tasks_emulator import server as emulator_server

_grpc_server = grpc.server


def _loopback_grpc_server(*args, **kwargs):
    server = _grpc_server(*args, **kwargs)
    add_port = server.add_insecure_port
    server.add_insecure_port = lambda address: add_port(address.replace("[::]", "127.0.0.1"))
    return server


emulator_server.grpc.server = _loopback_grpc_server

if __name__ == "__main__":
    sys.argv[0] = "gcloud-tasks-emulator"
    emulator_cli.main()
