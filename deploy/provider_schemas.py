"""`python -m deploy.provider_schemas DEST`: the google and google-beta provider schemas that
deploy/tfschema.py checks Terraform against, each the `.jsii` and `package.json` of an npm package
pinned with its integrity in deploy/provider_schemas.json, put in DEST/<package>/.

The packages also carry the bindings cdktf generates, 500 MB in 7,700 files that nothing here
runs; `npm ci` of them took about 15 s of a fresh install. `npm pack` fetches each tarball
through npm's own registry settings, and the tarball is refused unless its SHA-512 is the pinned one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PINS = Path(__file__).with_name("provider_schemas.json")
MEMBERS = ("package.json", ".jsii")


class IntegrityError(RuntimeError):
    """A fetched tarball is not the one pinned."""


def integrity_of(tarball: Path) -> str:
    """The tarball's Subresource Integrity string, as npm's lockfile writes it."""
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()


def extract(tarball: Path, pinned: str, destination: Path) -> None:
    """Puts the schema files of `tarball` in `destination`, if the tarball is the one `pinned`."""
    if (found := integrity_of(tarball)) != pinned:
        raise IntegrityError(f"{tarball.name}: integrity {found}, pinned {pinned}")
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        for member in MEMBERS:
            source = archive.extractfile(f"package/{member}")
            if source is None:
                raise IntegrityError(f"{tarball.name}: no package/{member}")
            (destination / member).write_bytes(source.read())


def fetch(package: str, version: str, folder: Path) -> Path:
    """The tarball of `package@version`, downloaded by `npm pack` into `folder`."""
    packed = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    filename: str = json.loads(packed.stdout)[0]["filename"]
    return folder / filename


def load_pins() -> dict[str, dict[str, str]]:
    """Each package's pinned version and integrity."""
    pins: dict[str, dict[str, str]] = json.loads(PINS.read_text())
    return pins


def main(argv: list[str] | None = None) -> int:
    (destination,) = argv if argv is not None else sys.argv[1:]
    with tempfile.TemporaryDirectory() as downloads:
        for package, pin in load_pins().items():
            tarball = fetch(package, pin["version"], Path(downloads))
            extract(tarball, pin["integrity"], Path(destination) / package)
    return 0


if __name__ == "__main__":
    sys.exit(main())
