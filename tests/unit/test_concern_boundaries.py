"""One concern uses another only through that concern's `public` module, so each can change
inside without breaking the others (streaks' facts for reminders, account notices for payments)."""

from __future__ import annotations

from pathlib import Path

from tests.support.imports import imported_modules

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def cross_concern_imports() -> set[tuple[str, str]]:
    """(importing concern, module of another concern) for every such import: `functions.x.m.name`
    counts as the module `functions.x.m`."""
    found = set()
    for concern in sorted(p.name for p in FUNCTIONS.iterdir() if (p / "main.py").exists()):
        for path in (FUNCTIONS / concern).glob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] == "functions" and len(parts) > 2 and parts[1] != concern:
                    found.add((concern, ".".join(parts[:3])))
    return found


def test_concerns_import_each_other_only_through_public_modules() -> None:
    assert cross_concern_imports() == {
        ("reminders", "functions.streaks.public"),
        ("stripe_webhook", "functions.reminders.public"),
    }


def test_the_scan_sees_a_private_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from functions.streaks import streak\nimport functions.reminders.tick\n")
    assert {"functions.streaks.streak", "functions.reminders.tick"} <= imported_modules(sneaky)
