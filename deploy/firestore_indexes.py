"""The indexes Firestore (Standard edition) needs in production for a declared query
(lib/queries.py), and whether a set of deployed index settings serves it. The emulator runs any
query without an index, so only this derivation sees a query that production would refuse with
FAILED_PRECONDITION.

Rules, from Firestore's index overview and query docs:
- every field gets COLLECTION-scope single-field indexes (ascending, descending, array-contains)
  unless a field override replaces them; no COLLECTION_GROUP-scope index exists unless an
  override lists it;
- a scan with no filter and no order, or a range on the document id alone, uses the built-in key
  index;
- equality filters alone use one single-field index per field (Firestore merges them);
- range filters and orders on one field alone use that field's single-field index in the order's
  direction;
- anything else needs a composite index: the equality fields in any order, then the ordered
  fields (the explicit order, then inequality fields it does not name, by name, in the direction
  of the last explicit order). Firestore can sometimes merge composites instead; this asks for
  the one composite, which is stricter, never looser."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lib.queries import DOCUMENT_ID, QueryShape, Scope

_EQUALITY = frozenset({"==", "in"})
_ARRAY = frozenset({"array_contains", "array_contains_any"})


class Mode(enum.StrEnum):
    ASCENDING = "ASCENDING"
    DESCENDING = "DESCENDING"
    CONTAINS = "CONTAINS"


class UnmodelledQuery(ValueError):
    """A query shape these rules do not cover: rather than guess, the check refuses it."""


@dataclass(frozen=True)
class FieldIndex:
    """One single-field index."""

    collection: str
    field: str
    scope: Scope
    mode: Mode

    def __str__(self) -> str:
        return f"{self.collection}.{self.field} {self.mode} ({self.scope} scope, single field)"


@dataclass(frozen=True)
class CompositeIndex:
    collection: str
    scope: Scope
    fields: tuple[tuple[str, Mode], ...]

    def __str__(self) -> str:
        listed = ", ".join(f"{field} {mode}" for field, mode in self.fields)
        return f"{self.collection} ({listed}) ({self.scope} scope, composite)"


@dataclass(frozen=True)
class CompositeNeed:
    """A composite index whose first fields are `equalities` in any order, then `ordered`."""

    collection: str
    scope: Scope
    equalities: frozenset[tuple[str, Mode]]
    ordered: tuple[tuple[str, Mode], ...]

    def served_by(self, index: CompositeIndex) -> bool:
        head, tail = index.fields[: len(self.equalities)], index.fields[len(self.equalities) :]
        # An equality matches one value, so either direction of its field serves it.
        return (
            (index.collection, index.scope) == (self.collection, self.scope)
            and {(field, _equality_mode(mode)) for field, mode in head} == self.equalities
            and tail == self.ordered
        )

    def __str__(self) -> str:
        equal = ", ".join(f"{field} {mode}" for field, mode in sorted(self.equalities))
        ordered = ", ".join(f"{field} {mode}" for field, mode in self.ordered)
        return f"{self.collection} ({equal} in any order; then {ordered}) ({self.scope} scope, composite)"


Need = FieldIndex | CompositeNeed


@dataclass(frozen=True)
class Deployed:
    """What a database has: per (collection group, field), the single-field indexes an override
    sets instead of the automatic ones, and the composite indexes."""

    overrides: Mapping[tuple[str, str], frozenset[tuple[Scope, Mode]]]
    composites: frozenset[CompositeIndex]


def _equality_mode(mode: Mode) -> Mode:
    return Mode.CONTAINS if mode is Mode.CONTAINS else Mode.ASCENDING


def needs(shape: QueryShape) -> list[Need]:
    """The indexes Firestore needs to run `shape`."""
    equal = {
        (field, Mode.CONTAINS if op in _ARRAY else Mode.ASCENDING)
        for field, op in shape.filters
        if op in _EQUALITY | _ARRAY
    }
    ordered = [(field, Mode(direction.value)) for field, direction in shape.order]
    last = ordered[-1][1] if ordered else Mode.ASCENDING
    named = {field for field, _ in ordered}
    inequal = {field for field, op in shape.filters if op not in _EQUALITY | _ARRAY}
    ordered += [(field, last) for field in sorted(inequal - named)]
    fields = {field for field, _ in equal} | {field for field, _ in ordered}
    if DOCUMENT_ID in fields:
        if fields == {DOCUMENT_ID} and not equal and {mode for _, mode in ordered} == {Mode.ASCENDING}:
            return []
        raise UnmodelledQuery(f"{shape.collection}: the document id beside other fields, or descending")
    if {field for field, _ in equal} & named:
        raise UnmodelledQuery(f"{shape.collection}: a field both filtered for equality and ordered")
    if not ordered:
        return [FieldIndex(shape.collection, field, shape.scope, mode) for field, mode in sorted(equal)]
    if not equal and len(ordered) == 1:
        field, mode = ordered[0]
        return [FieldIndex(shape.collection, field, shape.scope, mode)]
    return [CompositeNeed(shape.collection, shape.scope, frozenset(equal), tuple(ordered))]


def served(need: Need, deployed: Deployed) -> bool:
    if isinstance(need, CompositeNeed):
        return any(need.served_by(index) for index in deployed.composites)
    override = deployed.overrides.get((need.collection, need.field))
    if override is None:
        return need.scope is Scope.COLLECTION
    return (need.scope, need.mode) in override


def unserved(shapes: Iterable[QueryShape], deployed: Deployed) -> list[tuple[QueryShape, Need]]:
    """Each declared query with an index it needs that `deployed` lacks."""
    return [(shape, need) for shape in shapes for need in needs(shape) if not served(need, deployed)]


def _mode(entry: Mapping[str, Any]) -> Mode:
    return Mode(entry.get("order") or entry["arrayConfig"])


def composites_of(index_file: Mapping[str, Any]) -> frozenset[CompositeIndex]:
    """The composite indexes of a firestore.indexes.json, without the implicit last `__name__`."""
    found = set()
    for index in index_file.get("indexes", []):
        fields = tuple((f["fieldPath"], _mode(f)) for f in index["fields"])
        if fields and fields[-1][0] == DOCUMENT_ID:
            fields = fields[:-1]
        found.add(CompositeIndex(index["collectionGroup"], Scope(index.get("queryScope", "COLLECTION")), fields))
    return frozenset(found)


def overrides_of(index_file: Mapping[str, Any]) -> dict[tuple[str, str], frozenset[tuple[Scope, Mode]]]:
    """The single-field settings of a firestore.indexes.json's fieldOverrides."""
    return {
        (o["collectionGroup"], o["fieldPath"]): frozenset(
            (Scope(i.get("queryScope", "COLLECTION")), _mode(i)) for i in o.get("indexes", [])
        )
        for o in index_file.get("fieldOverrides", [])
    }
