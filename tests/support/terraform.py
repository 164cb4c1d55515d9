"""Reading terraform/ in tests: the HCL as parsed by python-hcl2, and the route-derived locals
as Terraform computes them (deploy/terraform_locals.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2

from deploy.terraform_locals import DEPLOYMENT_STAND_INS, EVALUATED, evaluate_locals

__all__ = [
    "APP_AUTH",
    "DEPLOYMENT_STAND_INS",
    "EVALUATED",
    "deployment_keys",
    "evaluate_locals",
    "parsed",
    "resources",
]

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
# The auth kinds of the routes the load balancer routes (local.lb_auth_kinds): the app's own,
# Stripe's webhook and the App Store's notifications.
APP_AUTH = frozenset({"none", "user", "user_revoked", "stripe", "app_store_signature"})


def _clean(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals and labels; drop them."""
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parsed() -> dict[str, list[Any]]:
    """Every top-level block kind of terraform/*.tf, merged across files."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(TERRAFORM.glob("*.tf")):
        for kind, blocks in _clean(hcl2.loads(path.read_text())).items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


def resources() -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for block in parsed().get("resource", []):
        for kind, named in block.items():
            for name, body in named.items():
                found[(kind, name)] = body
    return found


def locals_as_parsed() -> dict[str, Any]:
    """Every local of terraform/*.tf by name, as python-hcl2 parses it (expressions stay text)."""
    merged: dict[str, Any] = {}
    for block in parsed().get("locals", []):
        merged.update(block)
    return merged


def deployment_keys() -> set[str]:
    """The keys of local.deployment in terraform/functions.tf."""
    return {key for block in parsed()["locals"] if "deployment" in block for key in block["deployment"]}
