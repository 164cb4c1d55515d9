"""lib.firestore.run_transaction under contention on the emulator, which answers
`Aborted: Transaction lock timeout` where the Python client alone would retry without pause.

Settling time grows steeply with the writers on one document (figures in docs/local-stack.md),
so ten writers are used: five times the worst case in the app (two devices of one user).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from google.cloud import firestore

from lib import firestore as db

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
