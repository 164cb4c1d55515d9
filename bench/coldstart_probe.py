"""One cold start, in a fresh interpreter started by bench.coldstart: build the entry point's
app as the Cloud Functions runtime does (functions-framework), answer one request, print its
status and the CPU time it used. With "monolith", first import and set up every SDK the project
uses."""

from __future__ import annotations

import json
import sys
import time

# The function logs JSON lines on stdout too; the parent looks for this prefix.
STATUS_MARK = "coldstart-status="


def main() -> None:
    spec = json.loads(sys.argv[1])
    if spec["monolith"]:
        from bench import monolith

        monolith.set_up_everything()
    import functions_framework

    app = functions_framework.create_app(  # type: ignore[no-untyped-call]
        target=spec["entry_point"], source=spec["source"], signature_type="http"
    )
    response = app.test_client().open(
        spec["path"], method=spec["method"], headers=spec["headers"], data=spec["body"].encode()
    )
    sys.stdout.write(f"{STATUS_MARK}{response.status_code} {time.process_time() * 1000:.1f}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
