"""deploy.package: one importable zip per function, with requirements that match its imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from functools import cache
from importlib import metadata
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from deploy import package

FUNCTIONS = package.entry_points()
# Cloud Functions' Python runtime serves the entry point with it; no module imports it.
RUNTIME_REQUIREMENTS = {"functions-framework"}

IMPORT_PROBE = """
import json, sys
import main, lib
function, names = sys.argv[1], sys.argv[2:]
print(json.dumps({
    "entry_points": {name: callable(getattr(main, name, None)) for name in names},
    "files": [main.__file__, lib.__file__, sys.modules[f"functions.{function}.main"].__file__],
}))
"""


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("dist")
    package.build_all(target)
    return target


def test_route_table_names_at_least_one_function() -> None:
    assert FUNCTIONS
    assert "gateway" not in FUNCTIONS


def test_package_builds_one_zip_per_function_of_the_route_table(dist: Path) -> None:
    assert sorted(p.name for p in dist.glob("*.zip")) == sorted(f"{f}.zip" for f in FUNCTIONS)


def test_package_is_byte_for_byte_reproducible(dist: Path, tmp_path: Path) -> None:
    again = package.build_all(tmp_path)
    for path in again:
        assert path.read_bytes() == (dist / path.name).read_bytes()


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_zip_holds_root_main_lib_route_table_and_own_requirements(dist: Path, function: str) -> None:
    with zipfile.ZipFile(dist / f"{function}.zip") as archive:
        names = set(archive.namelist())
        requirements = archive.read("requirements.txt")
    assert {"main.py", "requirements.txt", "gateway/routes.yaml", "lib/__init__.py", "functions/__init__.py"} <= names
    assert f"functions/{function}/main.py" in names
    assert requirements == (package.ROOT / "functions" / function / "requirements.txt").read_bytes()


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_zip_imports_each_entry_point_from_its_own_files(dist: Path, function: str, tmp_path: Path) -> None:
    with zipfile.ZipFile(dist / f"{function}.zip") as archive:
        archive.extractall(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, function, *FUNCTIONS[function]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["entry_points"] == dict.fromkeys(FUNCTIONS[function], True)
    for file in report["files"]:
        assert Path(file).resolve().is_relative_to(tmp_path.resolve())


def test_a_packaged_function_started_without_its_settings_refuses_to_start(dist: Path, tmp_path: Path) -> None:
    """No ENVIRONMENT means production in a package, so a forgotten variable stops the start."""
    with zipfile.ZipFile(dist / "stripe_webhook.zip") as archive:
        archive.extractall(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ENVIRONMENT", "STRIPE_PRICE_ID")}
    env["FUNCTION_TARGET"] = "billing"
    result = subprocess.run(
        [sys.executable, "-c", "import main"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DeploymentError" in result.stderr
    errors = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert "stripe_webhook-billing cannot start: STRIPE_PRICE_ID: not set" in [e["message"] for e in errors]
    assert {e["severity"] for e in errors} == {"ERROR"}


def test_local_closure_follows_imports_into_other_concerns(tmp_path: Path) -> None:
    for relative, text in {
        "functions/__init__.py": "",
        "functions/a/__init__.py": "",
        "functions/a/main.py": "from functions.b import view\nfrom . import logic\n",
        "functions/a/logic.py": "import json\n",
        "functions/b/__init__.py": "",
        "functions/b/view.py": "",
        "functions/b/unused.py": "import stripe\n",
    }.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    found = package.local_closure([tmp_path / "functions/a/main.py"], tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in found} == {
        "functions/__init__.py",
        "functions/a/__init__.py",
        "functions/a/main.py",
        "functions/a/logic.py",
        "functions/b/__init__.py",
        "functions/b/view.py",
    }


@cache
def module_distributions() -> dict[str, str]:
    """Importable module name → the installed distribution that ships it."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        for file in dist.files or ():
            path = PurePosixPath(str(file))
            if path.suffix not in {".py", ".so"} or ".." in path.parts:
                continue
            parts = [*path.parts[:-1], path.name.split(".")[0]]
            if parts[-1] == "__init__":
                parts.pop()
            if parts:
                found.setdefault(".".join(parts), canonicalize_name(dist.metadata["Name"]))
    return found


def distribution_of(module: str) -> str | None:
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        name = module_distributions().get(".".join(parts[:depth]))
        if name:
            return name
    return None


def third_party_imports(function: str) -> dict[str, str]:
    """Module → distribution for every non-local, non-stdlib import the function reaches."""
    files = package.local_closure(package.function_files(function))
    names = set().union(*(package.imported_modules(p) for p in files))
    # `from a import b` yields both `a` and `a.b`; judge the most specific name only.
    specific = {n for n in names if not any(other.startswith(n + ".") for other in names)}
    found: dict[str, str] = {}
    for name in specific:
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in {"functions", "lib", "__future__"}:
            continue
        dist = distribution_of(name)
        assert dist, f"{function} imports {name}, which no installed distribution provides"
        found[name] = dist
    return found


def listed_requirements(function: str) -> set[str]:
    lines = (package.ROOT / "functions" / function / "requirements.txt").read_text().splitlines()
    return {canonicalize_name(Requirement(line).name) for line in lines if line.strip() and not line.startswith("#")}


def installed_closure(names: set[str]) -> set[str]:
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for spec in metadata.requires(name) or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return seen


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_requirements_cover_every_import_of_the_function(function: str) -> None:
    covered = installed_closure(listed_requirements(function))
    missing = {module: dist for module, dist in third_party_imports(function).items() if dist not in covered}
    assert not missing, f"functions/{function}/requirements.txt does not provide {missing}"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_requirements_list_only_what_the_function_imports(function: str) -> None:
    imported = set(third_party_imports(function).values())
    unused = listed_requirements(function) - imported - RUNTIME_REQUIREMENTS
    assert not unused, f"functions/{function}/requirements.txt lists {sorted(unused)}, which it never imports"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_requirements_pin_the_root_versions(function: str) -> None:
    root = {
        canonicalize_name(Requirement(line).name): line.strip()
        for line in (package.ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    own = (package.ROOT / "functions" / function / "requirements.txt").read_text().splitlines()
    for line in own:
        if line.strip() and not line.startswith("#"):
            assert root.get(canonicalize_name(Requirement(line).name)) == line.strip()
