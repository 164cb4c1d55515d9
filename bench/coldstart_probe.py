"""One cold start, in a fresh interpreter started by bench.coldstart: build the entry point's
app as the Cloud Functions runtime does (functions-framework), answer one request, print its
status and the CPU time it used. With "monolith", first import and set up every SDK the project
uses. For bench.coldstart_profile: with "steps", first import those modules one by one and also
print the CPU time of each step; with "loaded", print which of those modules were loaded by the end.
Without "entry_point" (a floor for bench.coldstart), stop after those imports and the monolith's
set-up, and print IMPORTED as the status."""

from __future__ import annotations

import importlib
import json
import sys
import time

# The function logs JSON lines on stdout too; the parent looks for these prefixes.
STATUS_MARK = "coldstart-status="
STEPS_MARK = "coldstart-steps="
LOADED_MARK = "coldstart-loaded="
IMPORTED = "imported"


def main() -> None:
    spec = json.loads(sys.argv[1])
    steps: dict[str, float] = {"interpreter start-up": time.process_time()}

    def step(name: str) -> None:
        """Charges the CPU time since the last step to `name` (added up if it comes twice)."""
        steps[name] = steps.get(name, 0.0) + time.process_time() - sum(steps.values())

    for module in spec.get("steps", []):
        importlib.import_module(module)
        step(f"import {module}")
    if spec["monolith"]:
        from bench import monolith

        monolith.set_up_everything()
        step("monolith: remaining SDK imports and client set-up")
    if "entry_point" not in spec:
        sys.stdout.write(f"{STATUS_MARK}{IMPORTED} {time.process_time() * 1000:.1f}\n")
        return
    import functions_framework

    step("import functions_framework")
    app = functions_framework.create_app(  # type: ignore[no-untyped-call]
        target=spec["entry_point"], source=spec["source"], signature_type="http"
    )
    step("create_app: the function's own modules")
    response = app.test_client().open(
        spec["path"], method=spec["method"], headers=spec["headers"], data=spec["body"].encode()
    )
    step("first request")
    sys.stdout.write(f"{STATUS_MARK}{response.status_code} {time.process_time() * 1000:.1f}\n")
    if "steps" in spec:
        sys.stdout.write(f"{STEPS_MARK}{json.dumps({k: round(v * 1000, 1) for k, v in steps.items()})}\n")
    if "loaded" in spec:
        sys.stdout.write(f"{LOADED_MARK}{json.dumps([m for m in spec['loaded'] if m in sys.modules])}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
