"""deploy/terraform_locals: an unchanged input is read from the cache, a changed one is evaluated
by Terraform again."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy import terraform_locals


def test_the_same_input_is_read_back_and_a_changed_one_evaluated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counted(argv: list[str], **kwargs: Any) -> Any:
        calls.append(argv)
        return real_run(argv, **kwargs)

    monkeypatch.setattr(terraform_locals.subprocess, "run", counted)
    cache = tmp_path / "cache"
    first = terraform_locals.evaluate_locals(terraform_locals.ROUTES_FILE, tmp_path / "a", cache_dir=cache)
    again = terraform_locals.evaluate_locals(terraform_locals.ROUTES_FILE, tmp_path / "b", cache_dir=cache)
    assert (again, len(calls)) == (first, 1)

    changed = tmp_path / "routes.yaml"
    changed.write_text(terraform_locals.ROUTES_FILE.read_text() + "# changed\n")
    terraform_locals.evaluate_locals(changed, tmp_path / "c", cache_dir=cache)
    assert len(calls) == 2
