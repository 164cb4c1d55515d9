"""deploy/terraform_locals.input_key: the cache key changes with any byte Terraform would read."""

from __future__ import annotations

from pathlib import Path

from deploy.terraform_locals import input_key


def test_the_key_follows_every_file_and_the_expression(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    routes = tmp_path / "terraform" / "routes.tf"
    routes.write_text("locals {}\n")
    (tmp_path / "routes.yaml").write_text("routes: []\n")
    before = input_key(tmp_path, "local.functions")
    assert input_key(tmp_path, "local.functions") == before
    assert input_key(tmp_path, "local.url_rules") != before
    routes.write_text("locals { x = 1 }\n")
    edited = input_key(tmp_path, "local.functions")
    assert edited != before
    (tmp_path / "extra.json").write_text("{}")
    assert input_key(tmp_path, "local.functions") not in (before, edited)
