"""Starts and stops the pieces of the local stack as child processes.

`make run` and the test fixtures both use this module, so the stack the tests see is the
stack a developer runs. Each child writes to its own log under .devstack/logs; when a
piece fails to come up, the tail of its log is printed rather than hidden.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from functions.reminders.queues import reminder_queues
from lib.config import Settings

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".devstack"
TASKS_PYTHON = ROOT / ".venv-tasks" / "bin" / "python"
FIREBASE_CLI = ROOT / "node_modules" / ".bin" / "firebase"


class StackError(RuntimeError):
    """A piece of the local stack did not start; the message carries its log's tail."""


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def port_of_url(url: str) -> int:
    return host_port(url.split("://", 1)[-1].split("/", 1)[0])[1]


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return requests.get(url, timeout=1).status_code < 500
        except requests.RequestException:
            return False

    return check


def tcp_open(address: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection(host_port(address), timeout=1):
                return True
        except OSError:
            return False

    return check


@dataclass
class Service:
    name: str
    argv: Sequence[str]
    healthy: Callable[[], bool]
    url: str
    env: dict[str, str] = field(default_factory=dict)
    start_timeout_s: float = 90.0


@dataclass
class Running:
    service: Service
    process: subprocess.Popen[bytes]
    log_path: Path


def child_environment(config: Settings) -> dict[str, str]:
    """The environment every piece and every test client shares."""
    return {
        "ENVIRONMENT": "local",
        "GOOGLE_CLOUD_PROJECT": config.google_cloud_project,
        "FIRESTORE_EMULATOR_HOST": config.firestore_emulator_host,
        "FIREBASE_AUTH_EMULATOR_HOST": config.firebase_auth_emulator_host,
        "CLOUD_TASKS_EMULATOR_HOST": config.cloud_tasks_emulator_host,
        "FCM_ENDPOINT": config.fcm_endpoint,
        "STRIPE_API_BASE": config.stripe_api_base,
        "GATEWAY_PORT": str(config.gateway_port),
        "FUNCTIONS_EMULATOR": "true",
        "PYTHONUNBUFFERED": "1",
    }


def _auth_emulator_config(config: Settings) -> Path:
    """firebase.json with this stack's ports, so several stacks can run side by side."""
    base = json.loads((ROOT / "firebase.json").read_text())
    auth_port = host_port(config.firebase_auth_emulator_host)[1]
    emulators = base["emulators"]
    emulators["auth"]["port"] = auth_port
    emulators["hub"]["port"] = auth_port + 1
    emulators["logging"]["port"] = auth_port + 2
    emulators.pop("firestore")
    base.pop("firestore")
    path = STATE_DIR / f"firebase.{auth_port}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(base, indent=2))
    return path


def emulator_services(config: Settings) -> list[Service]:
    project = config.google_cloud_project
    firestore_url = f"http://{config.firestore_emulator_host}"
    auth_url = f"http://{config.firebase_auth_emulator_host}"
    return [
        Service(
            name="firestore",
            argv=[
                "gcloud",
                "emulators",
                "firestore",
                "start",
                f"--host-port={config.firestore_emulator_host}",
                f"--rules={ROOT / 'firestore.rules'}",
                "--quiet",
            ],
            healthy=http_ok(firestore_url),
            url=firestore_url,
            env={"CLOUDSDK_CORE_PROJECT": project},
        ),
        Service(
            name="auth",
            argv=[
                str(FIREBASE_CLI),
                "emulators:start",
                "--only",
                "auth",
                "--project",
                project,
                "--config",
                str(_auth_emulator_config(config)),
            ],
            healthy=http_ok(auth_url),
            url=auth_url,
            env={"NO_UPDATE_NOTIFIER": "1", "FIREBASE_CLI_DISABLE_UPDATE_CHECK": "true", "CI": "true"},
        ),
        Service(
            name="tasks",
            argv=[
                str(TASKS_PYTHON),
                str(ROOT / "devstack" / "tasks_emulator" / "launch.py"),
                "start",
                "--port",
                str(host_port(config.cloud_tasks_emulator_host)[1]),
                *(arg for name in reminder_queues(config) for arg in ("--default-queue", name)),
                "--max-retries",
                str(config.reminders_max_attempts - 1),
            ],
            healthy=tcp_open(config.cloud_tasks_emulator_host),
            url=f"grpc://{config.cloud_tasks_emulator_host}",
        ),
    ]


def app_services(config: Settings) -> list[Service]:
    return [
        Service(
            name="fcm",
            argv=[sys.executable, "-m", "devstack.fcm_server"],
            healthy=http_ok(f"{config.fcm_endpoint}/healthz"),
            url=config.fcm_endpoint,
        ),
        Service(
            name="stripe",
            argv=[sys.executable, "-m", "devstack.stripe_server"],
            healthy=http_ok(f"{config.stripe_api_base}/_local/webhook_faults"),
            url=config.stripe_api_base,
        ),
        Service(
            name="gateway",
            argv=[sys.executable, "-m", "gateway"],
            healthy=http_ok(f"{config.gateway_url}/healthz"),
            url=config.gateway_url,
        ),
    ]


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Stack:
    """A set of running children, stopped together."""

    def __init__(self, config: Settings) -> None:
        self.config = config
        self.running: list[Running] = []
        self.log_dir = STATE_DIR / "logs"

    def start(self, services: Sequence[Service], on_ready: Callable[[Service], None] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **child_environment(self.config)}
        pending = []
        for service in services:
            if service.healthy():
                raise StackError(
                    f"{service.name}: something already answers at {service.url}; stop it or choose another port"
                )
            log_path = self.log_dir / f"{service.name}.log"
            log_file = log_path.open("wb")
            process = subprocess.Popen(
                list(service.argv),
                cwd=ROOT,
                env={**env, **service.env},
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            log_file.close()
            running = Running(service, process, log_path)
            self.running.append(running)
            pending.append(running)
        for running in pending:
            self._wait_healthy(running)
            if on_ready:
                on_ready(running.service)

    def _wait_healthy(self, running: Running) -> None:
        deadline = time.monotonic() + running.service.start_timeout_s
        while time.monotonic() < deadline:
            if running.process.poll() is not None:
                raise StackError(
                    f"{running.service.name} exited with {running.process.returncode}:\n{_log_tail(running.log_path)}"
                )
            if running.service.healthy():
                return
            time.sleep(0.2)
        waited = running.service.start_timeout_s
        raise StackError(f"{running.service.name} not healthy after {waited:.0f}s:\n{_log_tail(running.log_path)}")

    def stop(self) -> None:
        for running in reversed(self.running):
            _stop_group(running.process)
        self.running.clear()

    def process(self, name: str) -> subprocess.Popen[bytes]:
        return next(r.process for r in self.running if r.service.name == name)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            # A child of the group (the Firestore emulator's JVM) may outlive its parent.
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
        return


@contextmanager
def running_stack(config: Settings, services: Sequence[Service]) -> Iterator[Stack]:
    stack = Stack(config)
    try:
        stack.start(services)
        yield stack
    finally:
        stack.stop()
