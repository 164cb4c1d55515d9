"""`make teardown`: take the deployment down without leaving Identity Platform calling functions
that no longer exist. The provider cannot delete google_identity_platform_config, so its blocking
triggers would outlive the functions and every sign-up and sign-in would fail against them; they
are cleared first (https://cloud.google.com/identity-platform/docs/reference/rest/v2/projects/updateConfig).
The Firestore database leaves Terraform's state and keeps its data; terraform destroy then asks
for confirmation before removing the rest.
"""

from __future__ import annotations

import os
import subprocess
import sys

from deploy import google_rest

DATABASE = "google_firestore_database.default"


def clear_triggers_call(project: str) -> tuple[str, dict[str, object]]:
    """The updateConfig URL and body that leave Identity Platform with no blocking trigger."""
    url = f"https://identitytoolkit.googleapis.com/admin/v2/projects/{project}/config?updateMask=blockingFunctions.triggers"
    return url, {"blockingFunctions": {"triggers": {}}}


def teardown_commands(tfvars: str) -> list[list[str]]:
    terraform = ["terraform", "-chdir=terraform"]
    var_file = [f"-var-file={tfvars}"] if tfvars else []
    return [
        [*terraform, "state", "rm", DATABASE],
        [*terraform, "destroy", "-input=false", *var_file],
    ]


def main() -> int:
    project = os.environ.get("GCP_PROJECT", "")
    if not project:
        print("✗ set GCP_PROJECT", file=sys.stderr)
        return 1
    url, body = clear_triggers_call(project)
    status = google_rest.call("PATCH", url, project, body)
    if status not in (200, 404):
        print(f"✗ clearing the blocking triggers answered {status}; nothing was destroyed", file=sys.stderr)
        return 1
    print("✓ Identity Platform calls no blocking function")
    listed = subprocess.run(
        ["terraform", "-chdir=terraform", "state", "list", DATABASE], capture_output=True, text=True, check=False
    )
    for command in teardown_commands(os.environ.get("TFVARS", "prod.tfvars")):
        if command[2:4] == ["state", "rm"] and DATABASE not in listed.stdout:
            continue
        if subprocess.run(command, check=False).returncode != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
