"""Firestore queries, each declared once as a QueryShape beside the code that runs it and run
only through `stream`, so the indexes production needs can be derived from the declarations
(deploy/firestore_indexes.py) and cannot drift from the queries the code sends.

A shape holds what decides the index a query needs: the collection or collection group, the
filters as (field, operator) and the order. The filters' values, the limit and the cursor are
given when it runs."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not-in", "array_contains", "array_contains_any"]

# The field path Firestore gives a document's key (FieldPath.document_id()).
DOCUMENT_ID = "__name__"

Snapshot = firestore.DocumentSnapshot[firestore.DocumentReference]


class Scope(enum.StrEnum):
    """One collection under a given parent, or every collection of that id in the database."""

    COLLECTION = "COLLECTION"
    COLLECTION_GROUP = "COLLECTION_GROUP"


class Direction(enum.StrEnum):
    ASCENDING = "ASCENDING"
    DESCENDING = "DESCENDING"


ASCENDING = Direction.ASCENDING
DESCENDING = Direction.DESCENDING


@dataclass(frozen=True)
class QueryShape:
    collection: str
    scope: Scope = Scope.COLLECTION
    filters: tuple[tuple[str, Operator], ...] = ()
    order: tuple[tuple[str, Direction], ...] = ()
    # The fields returned (a projection); all of them when empty. Projections use no other index.
    select: tuple[str, ...] = ()


def build(
    shape: QueryShape, parent: firestore.Client | firestore.DocumentReference, *values: Any
) -> firestore.Query | firestore.CollectionReference:
    """The query `shape` declares, under `parent` (the client for a top-level collection or a
    collection group, a document for its subcollection), with one value per filter."""
    if len(values) != len(shape.filters):
        raise TypeError(f"{shape.collection}: {len(shape.filters)} filter values expected, got {len(values)}")
    query: firestore.Query | firestore.CollectionReference
    if shape.scope is Scope.COLLECTION_GROUP:
        if not isinstance(parent, firestore.Client):
            raise TypeError(f"{shape.collection}: a collection group is queried from the client")
        query = parent.collection_group(shape.collection)
    else:
        query = parent.collection(shape.collection)
    for (field, op), value in zip(shape.filters, values, strict=True):
        query = query.where(filter=FieldFilter(field, op, value))
    for field, direction in shape.order:
        query = query.order_by(field, direction=direction.value)
    if shape.select:
        query = query.select(list(shape.select))
    return query


def stream(
    shape: QueryShape,
    parent: firestore.Client | firestore.DocumentReference,
    *values: Any,
    limit: int | None = None,
    after: Snapshot | None = None,
) -> Iterator[Snapshot]:
    """The documents the declared query finds, at most `limit`, starting after `after`."""
    query = build(shape, parent, *values)
    if after is not None:
        query = query.start_after(after)
    if limit is not None:
        query = query.limit(limit)
    yield from query.stream()
