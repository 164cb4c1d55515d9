"""The Firestore index settings terraform/ deploys, read from its HCL (python-hcl2) and from
firestore.indexes.json, which it reads. Each resource is modelled in the one form firestore.tf
writes it; a Firestore index resource in any other form fails here rather than be guessed at."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deploy.firestore_indexes import CompositeIndex, Deployed, Mode, composites_of, overrides_of
from lib.queries import Scope
from tests.support import terraform as tf

INDEX_FILE = tf.ROOT / "firestore.indexes.json"
_READ_FILE = 'jsondecode(file("${path.module}/../firestore.indexes.json"))'
# The forms firestore.tf writes, as python-hcl2 gives them.
COMPOSITES_LOCAL = "${" + _READ_FILE + ".indexes}"
OVERRIDES_LOCAL = "${{for o in " + _READ_FILE + '.fieldOverrides : "${o.collectionGroup}/${o.fieldPath}" => o}}'
OVERRIDE_INDEXES = {
    "dynamic": [
        {
            "indexes": {
                "for_each": "${each.value.indexes}",
                "content": [
                    {
                        "query_scope": '${try(indexes.value.queryScope, "COLLECTION")}',
                        "order": "${try(indexes.value.order, null)}",
                        "array_config": "${try(indexes.value.arrayConfig, null)}",
                    }
                ],
            }
        }
    ]
}

FieldSettings = dict[tuple[str, str], frozenset[tuple[Scope, Mode]]]


class Unmodelled(AssertionError):
    """Terraform configures Firestore indexes in a form this model does not read."""


class ConfiguredTwice(AssertionError):
    """Two google_firestore_field resources configure one field: each apply undoes the other."""


def _composites(
    resources: Mapping[tuple[str, str], Any], locals_: Mapping[str, Any], index_file: Mapping[str, Any]
) -> frozenset[CompositeIndex]:
    found: frozenset[CompositeIndex] = frozenset()
    for (kind, name), body in resources.items():
        if kind != "google_firestore_index":
            continue
        if "local.firestore_indexes" not in body["for_each"] or locals_.get("firestore_indexes") != COMPOSITES_LOCAL:
            raise Unmodelled(f"google_firestore_index.{name}")
        found = composites_of(index_file)
    return found


def _ttl_fields(body: Mapping[str, Any], locals_: Mapping[str, Any]) -> FieldSettings:
    """google_firestore_field.ttl: one per TTL field, unindexed (an empty index_config)."""
    if body.get("index_config") != [{}]:
        raise Unmodelled("google_firestore_field.ttl: an index_config other than the empty one")
    return {(collection, field): frozenset() for collection, field in locals_["ttl_fields"].items()}


def _override_fields(
    body: Mapping[str, Any], locals_: Mapping[str, Any], index_file: Mapping[str, Any]
) -> FieldSettings:
    """google_firestore_field.index: one per fieldOverrides entry, with its indexes."""
    if locals_.get("firestore_field_overrides") != OVERRIDES_LOCAL or body.get("index_config") != [OVERRIDE_INDEXES]:
        raise Unmodelled("google_firestore_field.index: not the fieldOverrides of firestore.indexes.json")
    return overrides_of(index_file)


def deployed(index_file: Mapping[str, Any] | None = None) -> Deployed:
    """What `terraform apply` leaves in the database, for the repository's firestore.indexes.json
    or the one given."""
    index_file = index_file if index_file is not None else json.loads(Path(INDEX_FILE).read_text())
    parsed = tf.parsed()
    locals_ = {key: value for block in parsed.get("locals", []) for key, value in block.items()}
    resources = {
        (kind, name): body
        for block in parsed.get("resource", [])
        for kind, named in block.items()
        for name, body in named.items()
    }
    fields: FieldSettings = {}
    for (kind, name), body in resources.items():
        if kind != "google_firestore_field":
            continue
        if (name, body["for_each"]) == ("ttl", "${local.ttl_fields}"):
            settings = _ttl_fields(body, locals_)
        elif (name, body["for_each"]) == ("index", "${local.firestore_field_overrides}"):
            settings = _override_fields(body, locals_, index_file)
        else:
            raise Unmodelled(f"google_firestore_field.{name}")
        if twice := sorted(fields.keys() & settings.keys()):
            raise ConfiguredTwice(", ".join(f"{c}.{f}" for c, f in twice))
        fields.update(settings)
    return Deployed(overrides=fields, composites=_composites(resources, locals_, index_file))
