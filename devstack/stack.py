"""Starts and stops the pieces of the local stack as child processes.

`make run` and the test fixtures both use this module, so the stack the tests see is the
stack a developer runs. Each child writes to its own log under .devstack/logs/<gateway port>;
when a piece fails to come up, the tail of its log is printed rather than hidden. Each child runs in a
process group of its own, which a watchdog process kills if the stack dies (devstack/watchdog.py);
a function process that dies is started again, as Cloud Run replaces an instance.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests

from deploy.terraform_locals import evaluate_locals
from devstack.google_play_key import service_account_key
from devstack.units import (
    BATCH_NICENESS,
    BATCH_UNITS,
    STAND_IN_NICENESS,
    Topology,
    default_topology,
    unit_keys,
    unit_port,
    unit_url,
)
from functions.reminders.queues import reminder_queues
from lib import routing
from lib.config import STAND_INS, Settings

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
    # Started again when it dies, as Cloud Run replaces an instance.
    restart: bool = False
    niceness: int = 0


@dataclass
class Running:
    service: Service
    process: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)


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
        "APP_STORE_API_BASE": config.app_store_api_base,
        "APP_STORE_LOCAL_CHAIN": config.app_store_local_chain,
        "GOOGLE_PLAY_API_BASE": config.google_play_api_base,
        "GOOGLE_PLAY_SERVICE_ACCOUNT_KEY": service_account_key(config.google_play_api_base),
        # The local Google Play signs the Pub/Sub push tokens (devstack/google_play_push.py).
        "OIDC_CERTS_URL": f"{config.google_play_api_base}/oauth2/v1/certs",
        "GATEWAY_PORT": str(config.gateway_port),
        "REMINDERS_TASK_TARGET": send_target(config),
        "FUNCTIONS_EMULATOR": "true",
        "PYTHONUNBUFFERED": "1",
    }


def send_target(config: Settings) -> str:
    """Cloud Tasks calls the send function's own process, as it calls its run.app URL in the cloud."""
    return f"{unit_url(config, 'reminders-send_batch')}/internal/reminders/send"


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


def firestore_jvm_options() -> str:
    """The Firestore emulator's JVM options: JAVA_TOOL_OPTIONS when the stack's environment sets it,
    else a 512 MiB heap, ended if it runs out rather than left to hang. The JVM's default limit, a
    quarter of the machine's memory, let the heap alone take the stack past its memory limit
    (docs/local-stack.md, "Memory")."""
    return os.environ.get("JAVA_TOOL_OPTIONS", "-Xmx512m -XX:+ExitOnOutOfMemoryError")


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
            env={"CLOUDSDK_CORE_PROJECT": project, "JAVA_TOOL_OPTIONS": firestore_jvm_options()},
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
            niceness=STAND_IN_NICENESS,
        ),
    ]


def unit_environment(terraform_env: dict[str, str]) -> dict[str, str]:
    """The environment Terraform gives a function, as the local stack runs it: ENVIRONMENT=local
    (internal routes answer to loopback instead of checking OIDC tokens), and the values that
    stand in for a deployment's (project, service accounts, URLs, keys: lib/config.py STAND_INS)
    left to their local defaults. A setting the stack's own environment sets wins, so a benchmark
    can turn a knob; the emulator hosts come from child_environment."""
    kept = {name: value for name, value in terraform_env.items() if name.lower() not in STAND_INS}
    chosen = {name: os.environ[name] for name in kept if name in os.environ}
    return {**kept, **chosen, "ENVIRONMENT": "local", "PYTHONPATH": str(ROOT)}


def terraform_environments() -> dict[str, dict[str, str]]:
    """Each function's plain environment from terraform/, evaluated by Terraform (about 2 s)."""
    with tempfile.TemporaryDirectory(prefix="devstack-terraform-") as workdir:
        evaluated = evaluate_locals(routing.ROUTES_FILE, Path(workdir))
    environments: dict[str, dict[str, str]] = evaluated["function_env"]
    return environments


def unit_services(config: Settings) -> list[Service]:
    """One functions-framework process per deployed function, under its production server (gunicorn)."""
    framework = Path(sys.executable).with_name("functions-framework")
    environments = terraform_environments()
    services = []
    for key in unit_keys():
        function, entry_point = key.split("-", 1)
        url = unit_url(config, key)
        argv = [
            str(framework),
            f"--target={entry_point}",
            f"--source={ROOT / 'functions' / function / 'main.py'}",
            "--host=127.0.0.1",
            f"--port={unit_port(config, key)}",
        ]
        services.append(
            Service(
                name=key,
                argv=argv,
                healthy=http_ok(f"{url}/"),
                url=url,
                env=unit_environment(environments[key]),
                restart=True,
                niceness=BATCH_NICENESS if key in BATCH_UNITS else 0,
            )
        )
    return services


def openapi_file(config: Settings) -> Path:
    """The OpenAPI document written for the gateway, which imports no function code to build it."""
    from gateway import openapi

    path = STATE_DIR / f"openapi.{config.gateway_port}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(openapi.dumps(openapi.document()))
    return path


def app_services(config: Settings, topology: Topology | None = None) -> list[Service]:
    if (topology or default_topology()) == "units":
        units = unit_services(config)
        gateway_argv, gateway_env = ["--topology=units", f"--openapi={openapi_file(config)}"], {}
    else:
        # The send function lives in the gateway's process, so Cloud Tasks calls the gateway.
        units, gateway_argv = [], ["--topology=single"]
        gateway_env = {"REMINDERS_TASK_TARGET": f"{config.gateway_url}/internal/reminders/send"}
    return [
        Service(
            name="fcm",
            argv=[sys.executable, "-m", "devstack.fcm_server"],
            healthy=http_ok(f"{config.fcm_endpoint}/healthz"),
            url=config.fcm_endpoint,
            niceness=STAND_IN_NICENESS,
        ),
        Service(
            name="stripe",
            argv=[sys.executable, "-m", "devstack.stripe_server"],
            healthy=http_ok(f"{config.stripe_api_base}/_local/webhook_faults"),
            url=config.stripe_api_base,
        ),
        Service(
            name="app_store",
            argv=[sys.executable, "-m", "devstack.app_store_server"],
            healthy=http_ok(f"{config.app_store_api_base}/healthz"),
            url=config.app_store_api_base,
        ),
        Service(
            name="google_play",
            argv=[sys.executable, "-m", "devstack.google_play_server"],
            healthy=http_ok(f"{config.google_play_api_base}/healthz"),
            url=config.google_play_api_base,
            niceness=STAND_IN_NICENESS,
        ),
        *units,
        Service(
            name="gateway",
            argv=[sys.executable, "-m", "gateway", *gateway_argv],
            healthy=http_ok(f"{config.gateway_url}/openapi.json"),
            url=config.gateway_url,
            env=gateway_env,
        ),
    ]


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Stack:
    """A set of running children, stopped together, and killed together by a watchdog when the
    stack's own process dies."""

    def __init__(self, config: Settings, report: Callable[[str], None] = print) -> None:
        self.config = config
        self.running: list[Running] = []
        # One folder per stack, so a second stack (another port base) keeps its logs apart.
        self.log_dir = STATE_DIR / "logs" / str(config.gateway_port)
        self.report = report
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._supervisor: threading.Thread | None = None

    def start(self, services: Sequence[Service], on_ready: Callable[[Service], None] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in services:
            if service.healthy():
                raise StackError(
                    f"{service.name}: something already answers at {service.url}; stop it or choose another port"
                )
        pending = [self._spawn(service, "wb") for service in services]
        with self._lock:
            self.running.extend(pending)
        for running in pending:
            self._wait_healthy(running)
            if on_ready:
                on_ready(running.service)
        if self._supervisor is None:
            self._supervisor = threading.Thread(target=self._supervise, name="stack-supervisor", daemon=True)
            self._supervisor.start()

    def _spawn(self, service: Service, log_mode: str) -> Running:
        env = {**os.environ, **child_environment(self.config), **service.env}
        argv = list(service.argv)
        if service.niceness:
            argv = ["nice", "-n", str(service.niceness), *argv]
        log_path = self.log_dir / f"{service.name}.log"
        with log_path.open(log_mode) as log_file:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._tell_watchdog(f"+{process.pid}")
        return Running(service, process, log_path)

    def _tell_watchdog(self, line: str) -> None:
        if self._watchdog is None:
            self._watchdog = subprocess.Popen(
                [sys.executable, "-m", "devstack.watchdog"], cwd=ROOT, stdin=subprocess.PIPE, start_new_session=True
            )
        assert self._watchdog.stdin is not None
        self._watchdog.stdin.write(f"{line}\n".encode())
        self._watchdog.stdin.flush()

    def _supervise(self) -> None:
        """Starts again each restartable child that died, at most once a second each."""
        while not self._stopping.wait(0.5):
            with self._lock:
                for index, running in enumerate(self.running):
                    code = running.process.poll()
                    if code is None or not running.service.restart:
                        continue
                    if time.monotonic() - running.started_at < 1.0:
                        continue
                    _kill_group(running.process.pid)
                    self._tell_watchdog(f"-{running.process.pid}")
                    how = f"signal {-code}" if code < 0 else f"exit code {code}"
                    self.running[index] = self._spawn(running.service, "ab")
                    self.report(f"  ↻ {running.service.name} died ({how}); started again")

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
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()
        with self._lock:
            _stop_groups([r.process for r in reversed(self.running)])
            for running in self.running:
                self._tell_watchdog(f"-{running.process.pid}")
            self.running.clear()
        if self._watchdog is not None and self._watchdog.stdin is not None:
            # Nothing is left registered, so end of file only ends the watchdog.
            self._watchdog.stdin.close()
            self._watchdog.wait(timeout=30)

    def process(self, name: str) -> subprocess.Popen[bytes]:
        with self._lock:
            return next(r.process for r in self.running if r.service.name == name)

    def pieces(self) -> dict[str, list[int]]:
        """Every process of the stack by piece: each child's whole group, grandchildren included."""
        with self._lock:
            names = {r.process.pid: r.service.name for r in self.running}
        pieces: dict[str, list[int]] = {name: [] for name in names.values()}
        for pid in _all_pids():
            group = _group_of(pid)
            if group in names:
                pieces[names[group]].append(pid)
        return pieces

    def pids(self) -> list[int]:
        return [pid for pids in self.pieces().values() for pid in pids]


def _all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _kill_group(group: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def _stop_groups(processes: Sequence[subprocess.Popen[bytes]], grace_s: float = 10.0) -> None:
    """SIGTERM to every group at once, then SIGKILL to whatever is left of each group (a child
    of the group, such as the Firestore emulator's JVM, may outlive its parent)."""
    for process in processes:
        if process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for process in processes:
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        _kill_group(process.pid)
        process.wait()


@contextmanager
def running_stack(config: Settings, services: Sequence[Service]) -> Iterator[Stack]:
    stack = Stack(config)
    try:
        stack.start(services)
        yield stack
    finally:
        stack.stop()
