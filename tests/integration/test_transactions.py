"""lib.firestore.run_transaction under contention on the emulator, which answers
`Aborted: Transaction lock timeout` where the Python client alone would retry without pause.

The emulator makes a commit wait up to 2 s for every other transaction's read lock, so the
time to settle grows steeply with the writers: 10 took 2-9 s on an idle machine, 20 took
2-100 s and once ran past the 90 s deadline in CI. Ten writers on one document is still
five times the worst case in the app (two devices of one user).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.cloud import firestore

from lib import firestore as db

pytestmark = pytest.mark.stack

WRITERS = 10


def test_ten_threads_on_one_document_all_commit_once(stack: object) -> None:
    ref = db.client().collection("contention").document(uuid.uuid4().hex)
    ref.set({"count": 0, "writers": []})

    def increment(writer: int) -> int:
        def body(transaction: firestore.Transaction) -> int:
            snapshot = ref.get(transaction=transaction)
            data = snapshot.to_dict() or {}
            transaction.update(ref, {"count": data["count"] + 1, "writers": [*data["writers"], writer]})
            return int(data["count"]) + 1

        return db.run_transaction(body)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        results = list(pool.map(increment, range(WRITERS)))

    final = ref.get().to_dict() or {}
    assert final["count"] == WRITERS
    assert sorted(final["writers"]) == list(range(WRITERS))
    assert sorted(results) == list(range(1, WRITERS + 1))
