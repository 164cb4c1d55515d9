"""A saved Terraform plan read through `terraform show -json`: its variables and a summary of its changes.

`python -m deploy.plan summary plan.tfplan` prints the summary as Markdown (the job summary);
`python -m deploy.plan var domain plan.tfplan` prints one variable's value.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections import Counter
from collections.abc import Sequence
from typing import Any

TERRAFORM_DIR = "terraform"
ACTION_WORDS = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "destroy",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
}


def show(plan_file: str, terraform_dir: str = TERRAFORM_DIR) -> dict[str, Any]:
    result = subprocess.run(
        ["terraform", f"-chdir={terraform_dir}", "show", "-json", plan_file],
        check=True,
        capture_output=True,
        text=True,
    )
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


def variable(plan: dict[str, Any], name: str) -> str:
    return str(plan["variables"][name]["value"])


def changes(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(action, resource address) of every resource the plan changes, no-ops and reads left out."""
    found = []
    for change in plan.get("resource_changes", []):
        action = ACTION_WORDS.get(tuple(change["change"]["actions"]))
        if action:
            found.append((action, change["address"]))
    return found


def summary(plan: dict[str, Any]) -> str:
    listed = changes(plan)
    counts = Counter(action for action, _ in listed)
    replaced = counts["replace"]
    head = (
        f"**Plan:** {counts['create'] + replaced} to add, {counts['update']} to change, "
        f"{counts['destroy'] + replaced} to destroy."
    )
    if not listed:
        return f"{head}\n\nNo changes."
    rows = "\n".join(f"| {action} | `{address}` |" for action, address in sorted(listed))
    return f"{head}\n\n| action | resource |\n|---|---|\n{rows}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.plan", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("summary").add_argument("plan_file")
    var = commands.add_parser("var")
    var.add_argument("name")
    var.add_argument("plan_file")
    args = parser.parse_args(argv)
    plan = show(args.plan_file)
    print(summary(plan) if args.command == "summary" else variable(plan, args.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
