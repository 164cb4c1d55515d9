"""lib.firestore.run_transaction and commit_batch under contention on the emulator, which answers
`Aborted: Transaction lock timeout` where the Python client alone would retry a transaction
without pause, and a batch not at all.

Settling time grows steeply with the writers on one document (figures in docs/local-stack.md),
so ten writers are used: five times the worst case in the app (two devices of one user).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor, wait

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


def test_a_batch_aborted_while_a_transaction_holds_its_document_is_sent_again_and_commits(stack: object) -> None:
    """A batch commit that waits on a document a transaction has read is aborted by the emulator
    (`Transaction lock timeout`); commit_batch sends it again once the transaction has ended."""
    held = db.client().collection("contention").document(uuid.uuid4().hex)
    written = db.client().collection("contention").document(uuid.uuid4().hex)
    holder = db.client().transaction()
    holder._begin()
    held.get(transaction=holder)
    batch = db.client().batch()
    batch.delete(held, option=db.client().write_option(exists=False))
    batch.set(written, {"written": True})
    with ThreadPoolExecutor(max_workers=1) as pool:
        committing = pool.submit(db.commit_batch, batch)
        # Held past the emulator's lock timeout (2 s), so the first commit is aborted.
        wait([committing], timeout=5)
        holder._rollback()
        committing.result(timeout=60)
    assert (written.get().to_dict() or {}) == {"written": True}
