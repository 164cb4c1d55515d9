"""The cost probe counts a commit's writes and deletes as Firestore bills them, whichever form
the client passed the request in."""

from __future__ import annotations

from google.cloud.firestore_v1.types import CommitRequest, Write

from bench.cost_probe import sitecustomize as probe

NAME = "projects/p/databases/(default)/documents/users/u"


def test_a_commit_given_as_a_message_counts_each_write_and_each_delete() -> None:
    request = CommitRequest(writes=[Write(update={"name": NAME}), Write(delete=NAME), Write(update={"name": NAME})])
    assert probe._writes(request) == (2, 1)


def test_a_commit_given_as_a_dict_counts_alike() -> None:
    request = {"writes": [Write(update={"name": NAME})._pb, {"delete": NAME}]}
    assert probe._writes(request) == (1, 1)


def test_the_probe_installs_nothing_unless_the_bench_names_its_folder() -> None:
    assert probe._DIR == ""
