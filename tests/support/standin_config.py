"""What the stand-in terraform (standin_terraform.py) knows of terraform/*.tf, read once per test
session with python-hcl2 and stored in the stand-in project's JSON file."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support import terraform as tf


def config_model() -> dict[str, Any]:
    """Each resource's address, the addresses it refers to (its dependencies) and the variable
    gating it; the secrets' names (local.secrets), the services project.tf enables, and whether
    every provider block bills a quota project."""
    resources = tf.resources()
    addresses = sorted(f"{kind}.{name}" for kind, name in resources)
    parsed = tf.parsed()
    local_texts = {name: json.dumps(value) for block in parsed["locals"] for name, value in block.items()}
    model: dict[str, Any] = {"resources": {}}
    for (kind, name), body in resources.items():
        text = _with_locals(json.dumps(body), local_texts)
        refs = [a for a in addresses if a != f"{kind}.{name}" and re.search(rf"(?<![\w.]){re.escape(a)}\b", text)]
        gate = re.search(r"var\.(alert_policies)\b", json.dumps([body.get("count", ""), body.get("for_each", "")]))
        model["resources"][f"{kind}.{name}"] = {"deps": refs, "gate": gate[1] if gate else None}
    model["secrets"] = sorted(next(b["secrets"] for b in parsed["locals"] if "secrets" in b))
    model["services"] = re.findall(
        r"[\w.-]+\.googleapis\.com", next(b["services"] for b in parsed["locals"] if "services" in b)
    )
    providers = [body for block in parsed["provider"] for body in block.values()]
    model["quota_project"] = all(p.get("user_project_override") is True and p.get("billing_project") for p in providers)
    return model


def _with_locals(text: str, local_texts: dict[str, str]) -> str:
    """`text` and the expressions of every local it refers to, directly or through other locals:
    Terraform orders a resource after whatever its locals refer to."""
    seen: set[str] = set()
    pending = re.findall(r"\blocal\.(\w+)", text)
    while pending:
        name = pending.pop()
        if name in seen or name not in local_texts:
            continue
        seen.add(name)
        text += local_texts[name]
        pending.extend(re.findall(r"\blocal\.(\w+)", local_texts[name]))
    return text
