"""`make run`: the whole local stack with demo data, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from devstack import scheduler
from devstack.demo import DEMO_INSTALLATION_ID, DEMO_NUDGE_AFTER, seed_demo_data
from devstack.memory import resident_memory
from devstack.stack import Service, Stack, StackError, app_services, emulator_services
from devstack.units import TOPOLOGIES, default_topology, unit_url
from lib.config import settings


def _ready(service: Service) -> None:
    print(f"  ✓ {service.name:<10} {service.url}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    parser.add_argument(
        "--topology",
        choices=TOPOLOGIES,
        default=default_topology(),
        help="units: one process per deployed function (default); single: all functions in the gateway's process",
    )
    topology = parser.parse_args().topology
    config = settings()
    stack = Stack(config, report=lambda line: print(line, flush=True))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    started = time.monotonic()
    print(
        f"Starting the local stack (project {config.google_cloud_project}, topology {topology}); "
        f"logs in {stack.log_dir}",
        flush=True,
    )
    try:
        stack.start(emulator_services(config) + app_services(config, topology), on_ready=_ready)
        demo = seed_demo_data()
        gateway = config.gateway_url
        tick = f"{unit_url(config, 'reminders-tick')}/internal/reminders/tick"
        ready_s = time.monotonic() - started
        pids = stack.pids()
        memory = resident_memory(pids)
        print(
            f"""
The stack is up in {ready_s:.1f} s: {len(pids)} processes, {memory.pss_bytes / 2**20:.0f} MiB resident \
(proportional set; {memory.rss_bytes / 2**20:.0f} MiB summing each process's resident set).
Everything binds 127.0.0.1.
  API (gateway)      {gateway}          OpenAPI: {gateway}/openapi.json
  Demo user          {demo.email} / {demo.password}   uid {demo.uid}
  ID token (1 hour)  {demo.id_token}

  Try:  TOKEN=<the ID token above>
        curl -H "Authorization: Bearer $TOKEN" {gateway}/v1/me
        curl -H "Authorization: Bearer $TOKEN" {gateway}/v1/content
        curl -X POST -H "Authorization: Bearer $TOKEN" {gateway}/v1/content/morning-breath/access
  Reminders: the local scheduler calls the tick function's own process every minute, as Cloud
  Scheduler does ({tick}). The demo user has a 3-day streak and has not checked in today: its
  daily reminder is due now and its streak-at-risk nudge in {DEMO_NUDGE_AFTER.seconds // 60} minutes (a tick spreads
  its sends over a minute). See what the local FCM received, and the counters per kind and copy variant:
        curl '{config.fcm_endpoint}/_local/messages?token={DEMO_INSTALLATION_ID}'
        .venv/bin/wellness-ops stats
  An App Store purchase (the local App Store posts Apple's notification to the gateway):
        curl -H "Authorization: Bearer $TOKEN" {gateway}/v1/billing/store-account
        curl -X POST {config.app_store_api_base}/_local/subscriptions -d '{{"app_account_token": "<its token>"}}'
  Google Play: buy as the demo user (its obfuscatedAccountId from GET /v1/billing/store-account);
  the local Google Play pushes the notification as Pub/Sub does (docs/local-stack.md):
        curl -X POST {config.google_play_api_base}/_local/purchases -d '{{"obfuscated_account_id": "<id>"}}'
  A fresh token:  POST http://{config.firebase_auth_emulator_host}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any
                  with {{"email": "{demo.email}", "password": "{demo.password}", "returnSecureToken": true}}

A function process that dies is started again, and a line here says so.
Ctrl-C stops everything.""",
            flush=True,
        )
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        scheduler.start(tick, stop, lambda line: print(line, flush=True))
        stop.wait()
    except KeyboardInterrupt:
        pass
    except StackError as exc:
        print(f"\nThe stack could not start: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave children running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\nStopping the local stack…", flush=True)
        stack.stop()
        print("Stopped; nothing left running.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
