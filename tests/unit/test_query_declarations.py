"""The code runs only declared Firestore queries (lib/queries.py), and a declaration builds exactly
the query it describes, so the indexes derived from the declarations are those the queries need."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from lib import queries
from lib.queries import QueryShape, Scope
from tests.support.query_shapes import calls_outside_declarations, declared_shapes, undeclared_queries

# The operators' names in the query Firestore receives (StructuredQuery.FieldFilter.Operator).
OPERATOR_NAMES = {
    "<": "LESS_THAN",
    "<=": "LESS_THAN_OR_EQUAL",
    ">": "GREATER_THAN",
    ">=": "GREATER_THAN_OR_EQUAL",
    "==": "EQUAL",
    "!=": "NOT_EQUAL",
    "in": "IN",
    "not-in": "NOT_IN",
    "array_contains": "ARRAY_CONTAINS",
    "array_contains_any": "ARRAY_CONTAINS_ANY",
}

SHAPES = declared_shapes()


@pytest.fixture(scope="module")
def client() -> firestore.Client:
    # Building a query sends nothing, so no server and no real credentials are needed.
    return firestore.Client(project="demo-indexes", credentials=AnonymousCredentials())


def sent(shape: QueryShape, client: firestore.Client) -> Any:
    """The StructuredQuery the client would send for `shape`, with a value of each filter's kind."""
    parent = client if shape.scope is Scope.COLLECTION_GROUP else client.collection("users").document("u1")
    values = [
        client.collection(shape.collection).document("d1")
        if field == queries.DOCUMENT_ID
        else ["v"]
        if op in {"in", "not-in", "array_contains_any"}
        else datetime(2026, 1, 1, tzinfo=UTC)
        for field, op in shape.filters
    ]
    # A limit turns a bare collection into a query; it takes no part in the comparison.
    return queries.build(shape, parent, *values).limit(1)._to_protobuf()


def filters_of(where: Any) -> list[tuple[str, str]]:
    if where.composite_filter.filters:
        return [pair for f in where.composite_filter.filters for pair in filters_of(f)]
    if where.field_filter.field.field_path:
        return [(where.field_filter.field.field_path, where.field_filter.op.name)]
    return []


def test_every_firestore_query_is_built_from_a_declaration() -> None:
    assert undeclared_queries() == []


def test_the_scan_finds_a_query_built_outside_the_declarations() -> None:
    sneaky = (
        "from lib import queries\n"
        "def due(db, now):\n"
        "    db.collection('users').where(filter=None).order_by('next_at').stream()\n"
        "    db.collection('content').get()\n"
        "    by_uid = FieldFilter('uid', '==', 'u1')\n"
        "    return queries.stream(queries.QueryShape('users'), db)\n"
    )
    assert set(calls_outside_declarations(sneaky, "functions/sneaky.py")) == {
        "functions/sneaky.py:3: db.collection('users').where(filter=None).order_by('next_at').stream",
        "functions/sneaky.py:3: db.collection('users').where(filter=None).order_by",
        "functions/sneaky.py:3: db.collection('users').where",
        "functions/sneaky.py:4: db.collection('content').get",
        "functions/sneaky.py:5: FieldFilter",
        "functions/sneaky.py:6: queries.QueryShape",
    }


def test_the_declarations_include_the_idle_device_sweep() -> None:
    assert SHAPES["functions.reminders.devices.IDLE_DEVICES"].scope is Scope.COLLECTION_GROUP


@pytest.mark.parametrize("label", sorted(SHAPES))
def test_a_declaration_builds_the_query_it_declares(label: str, client: firestore.Client) -> None:
    shape = SHAPES[label]
    query = sent(shape, client)
    assert query.from_[0].collection_id == shape.collection
    assert query.from_[0].all_descendants == (shape.scope is Scope.COLLECTION_GROUP)
    assert filters_of(query.where) == [(field, OPERATOR_NAMES[op]) for field, op in shape.filters]
    assert [(o.field.field_path, o.direction.name) for o in query.order_by] == [(f, d.value) for f, d in shape.order]
    assert [f.field_path for f in query.select.fields] == list(shape.select)


def test_building_refuses_a_wrong_number_of_filter_values(client: firestore.Client) -> None:
    with pytest.raises(TypeError):
        queries.build(QueryShape("users", filters=(("next_at", "<="),)), client)
