"""deploy/provider_schemas.py: a provider package's schema files are taken from its tarball only
when the tarball is the one pinned."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from deploy import provider_schemas


def tarball(folder: Path, files: dict[str, bytes]) -> Path:
    path = folder / "provider-google-1.0.0.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


SCHEMA = {"package.json": b'{"name": "@cdktf/provider-google"}', ".jsii": b'{"types": {}}', "lib/index.js": b"x"}


def test_the_pinned_tarball_gives_its_schema_files_and_nothing_else(tmp_path: Path) -> None:
    packed = tarball(tmp_path, SCHEMA)
    destination = tmp_path / "schemas" / "@cdktf" / "provider-google"
    provider_schemas.extract(packed, provider_schemas.integrity_of(packed), destination)
    assert sorted(path.name for path in destination.iterdir()) == [".jsii", "package.json"]
    assert (destination / ".jsii").read_bytes() == SCHEMA[".jsii"]


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    pinned = provider_schemas.integrity_of(tarball(tmp_path, SCHEMA))
    other = tarball(tmp_path, {**SCHEMA, ".jsii": b'{"types": {"changed": 1}}'})
    destination = tmp_path / "schemas"
    with pytest.raises(provider_schemas.IntegrityError, match="pinned"):
        provider_schemas.extract(other, pinned, destination)
    assert not destination.exists()


def test_both_providers_are_pinned_by_sha512() -> None:
    pins = provider_schemas.load_pins()
    assert set(pins) == {"@cdktf/provider-google", "@cdktf/provider-google-beta"}
    assert all(pin["integrity"].startswith("sha512-") for pin in pins.values())
