"""Every declared Firestore query has the indexes it needs in production, as Terraform deploys
them: the emulator runs any query without an index, so only this check sees a missing one."""

from __future__ import annotations

import json

import pytest

from deploy.firestore_indexes import (
    CompositeNeed,
    Deployed,
    FieldIndex,
    Mode,
    UnmodelledQuery,
    composites_of,
    needs,
    overrides_of,
    served,
    unserved,
)
from lib.queries import ASCENDING, DESCENDING, DOCUMENT_ID, QueryShape, Scope
from tests.support.firestore_deployed import INDEX_FILE, ConfiguredTwice, deployed
from tests.support.query_shapes import declared_shapes

AUTOMATIC = Deployed(overrides={}, composites=frozenset())


@pytest.fixture(scope="module")
def shapes() -> dict[str, QueryShape]:
    return declared_shapes()


@pytest.fixture(scope="module")
def production() -> Deployed:
    return deployed()


def missing_indexes(shapes: dict[str, QueryShape], database: Deployed) -> list[str]:
    labels = {shape: label for label, shape in shapes.items()}
    return [f"{labels[shape]}: {need}" for shape, need in unserved(labels, database)]


def test_terraform_deploys_every_index_the_declared_queries_need(
    shapes: dict[str, QueryShape], production: Deployed
) -> None:
    assert missing_indexes(shapes, production) == []


def test_an_override_without_the_collection_group_index_fails_the_check(shapes: dict[str, QueryShape]) -> None:
    index_file = json.loads(INDEX_FILE.read_text())
    for override in index_file["fieldOverrides"]:
        override["indexes"] = [i for i in override["indexes"] if i.get("queryScope") != "COLLECTION_GROUP"]
    assert missing_indexes(shapes, deployed(index_file)) == [
        "functions.reminders.devices.IDLE_DEVICES: devices.updated_at ASCENDING (COLLECTION_GROUP scope, single field)"
    ]


def test_terraform_deploys_every_field_override_of_the_index_file(production: Deployed) -> None:
    index_file = json.loads(INDEX_FILE.read_text())
    wanted = overrides_of(index_file)
    assert wanted
    assert {key: production.overrides.get(key) for key in wanted} == wanted


def test_the_idle_device_sweep_needs_a_collection_group_index_on_updated_at(
    shapes: dict[str, QueryShape], production: Deployed
) -> None:
    sweep = shapes["functions.reminders.devices.IDLE_DEVICES"]
    need = FieldIndex("devices", "updated_at", Scope.COLLECTION_GROUP, Mode.ASCENDING)
    assert needs(sweep) == [need]
    assert not served(need, AUTOMATIC)
    assert served(need, production)


def test_ttl_fields_are_unindexed_so_a_query_on_one_would_be_refused(production: Deployed) -> None:
    on_expiry = QueryShape("reminder_sends", filters=(("expire_at", "<"),))
    assert unserved([on_expiry], AUTOMATIC) == []
    assert [need for _, need in unserved([on_expiry], production)] == needs(on_expiry)


def test_an_override_replaces_the_automatic_indexes_of_its_field() -> None:
    newest = QueryShape("devices", order=(("updated_at", DESCENDING),))
    only_ascending = Deployed(
        overrides={("devices", "updated_at"): frozenset({(Scope.COLLECTION, Mode.ASCENDING)})},
        composites=frozenset(),
    )
    assert unserved([newest], AUTOMATIC) == []
    assert unserved([newest], only_ascending) == [
        (newest, FieldIndex("devices", "updated_at", Scope.COLLECTION, Mode.DESCENDING))
    ]


def test_equality_filters_alone_use_one_automatic_index_per_field() -> None:
    shape = QueryShape("reminder_sends", filters=(("uid", "=="), ("kind", "==")))
    assert needs(shape) == [
        FieldIndex("reminder_sends", "kind", Scope.COLLECTION, Mode.ASCENDING),
        FieldIndex("reminder_sends", "uid", Scope.COLLECTION, Mode.ASCENDING),
    ]
    assert unserved([shape], AUTOMATIC) == []


def test_a_scan_and_a_document_id_range_use_the_built_in_key_index() -> None:
    key_range = QueryShape("reminder_sends", filters=((DOCUMENT_ID, ">="), (DOCUMENT_ID, "<")))
    assert needs(key_range) == []
    assert needs(QueryShape("devices", Scope.COLLECTION_GROUP)) == []


def test_equality_and_order_on_another_field_need_a_matching_composite_index() -> None:
    shape = QueryShape("account_notices", filters=(("uid", "=="), ("due_at", "<=")), order=(("due_at", ASCENDING),))
    need = CompositeNeed(
        "account_notices", Scope.COLLECTION, frozenset({("uid", Mode.ASCENDING)}), (("due_at", Mode.ASCENDING),)
    )
    assert needs(shape) == [need]
    assert not served(need, AUTOMATIC)

    def with_index(fields: list[dict[str, str]]) -> Deployed:
        index = {"collectionGroup": "account_notices", "queryScope": "COLLECTION", "fields": fields}
        return Deployed(overrides={}, composites=composites_of({"indexes": [index]}))

    uid, due = {"fieldPath": "uid", "order": "DESCENDING"}, {"fieldPath": "due_at", "order": "ASCENDING"}
    assert served(need, with_index([uid, due, {"fieldPath": DOCUMENT_ID, "order": "ASCENDING"}]))
    assert not served(need, with_index([due, uid]))
    assert not served(need, with_index([uid, {"fieldPath": "due_at", "order": "DESCENDING"}]))


def test_inequalities_on_two_fields_need_a_composite_ordered_by_field_name() -> None:
    shape = QueryShape("users", filters=(("next_at", "<="), ("created_at", ">")))
    assert needs(shape) == [
        CompositeNeed(
            "users", Scope.COLLECTION, frozenset(), (("created_at", Mode.ASCENDING), ("next_at", Mode.ASCENDING))
        )
    ]


@pytest.mark.parametrize(
    "shape",
    [
        QueryShape("users", filters=((DOCUMENT_ID, ">"), ("next_at", "=="))),
        QueryShape("users", order=((DOCUMENT_ID, DESCENDING),)),
        QueryShape("users", filters=(("next_at", "=="),), order=(("next_at", ASCENDING),)),
    ],
)
def test_a_shape_the_rules_do_not_cover_is_refused_rather_than_guessed(shape: QueryShape) -> None:
    with pytest.raises(UnmodelledQuery):
        needs(shape)


def test_an_override_on_a_ttl_field_would_be_configured_twice() -> None:
    index_file = {
        "indexes": [],
        "fieldOverrides": [
            {"collectionGroup": "reminder_sends", "fieldPath": "expire_at", "indexes": [{"order": "ASCENDING"}]}
        ],
    }
    with pytest.raises(ConfiguredTwice, match=r"reminder_sends\.expire_at"):
        deployed(index_file)
