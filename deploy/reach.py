"""What a deployed function's code can reach, read from the source: the modules of one entry
point (`<function>-<entry_point>`), the settings they read and the Google permissions they
declare. Tests hold Terraform to it (settings parity, IAM coverage).

An entry point reaches the module-level imports of its main.py, the imports inside the handlers
its `serve(...)` call names (and the main.py functions those use), and everything those modules
import in turn, save the checks of route `auth` kinds it does not serve (AUTH_MODULES). Reading
is by name, so the answer errs on the side of more, never less.
"""

from __future__ import annotations

import ast
import functools
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from deploy.package import ROOT, imported_names, local_closure
from lib import routing
from lib.auth import PERMISSIONS_BY_AUTH
from lib.config import LOCAL_ONLY, Settings

CONFIG_FILE = ROOT / "lib" / "config.py"
PERMISSIONS_NAME = "IAM_PERMISSIONS"
# The check `lib.routing.serve` runs for some route `auth` kinds, where it reads settings of its
# own: an entry point reaches it only when one of its routes has one of those kinds.
AUTH_MODULES = {ROOT / "lib" / "oidc.py": frozenset({"internal", "pubsub_push"})}


@dataclass(frozen=True)
class Reach:
    main_nodes: tuple[ast.AST, ...]
    modules: frozenset[Path]

    @property
    def nodes(self) -> list[ast.AST]:
        """main.py's reachable code and every reached module, whole."""
        return [*self.main_nodes, *(ast.parse(p.read_text(), filename=str(p)) for p in sorted(self.modules))]


def _serve_calls(tree: ast.Module) -> dict[str, ast.Dict]:
    """Entry point → the handler table of its `serve("<function>", "<entry_point>", {...})`."""
    found: dict[str, ast.Dict] = {}
    for node in tree.body:
        call = node.value if isinstance(node, ast.Assign) else None
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "serve" and len(call.args) == 3:
            entry_point, table = call.args[1], call.args[2]
            if isinstance(entry_point, ast.Constant) and isinstance(table, ast.Dict):
                found[str(entry_point.value)] = table
    return found


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _module_files(names: Iterable[str]) -> set[Path]:
    files: set[Path] = set()
    for name in names:
        parts = name.split(".")
        if parts[0] not in ("functions", "lib"):
            continue
        for depth in range(1, len(parts) + 1):
            base = ROOT.joinpath(*parts[:depth])
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file():
                    files.add(candidate)
    return files


@functools.cache
def reach(function: str, entry_point: str) -> Reach:
    main = ROOT / "functions" / function / "main.py"
    tree = ast.parse(main.read_text(), filename=str(main))
    table = _serve_calls(tree).get(entry_point)
    if table is None:
        raise LookupError(f"{main} has no serve({function!r}, {entry_point!r}, ...)")
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    wanted = _names(table)
    reached: dict[str, ast.FunctionDef] = {}
    while pending := [name for name in wanted if name in defs and name not in reached]:
        for name in pending:
            reached[name] = defs[name]
            wanted |= _names(defs[name])
    top_level = [n for n in tree.body if not isinstance(n, ast.FunctionDef) and not _is_serve(n)]
    main_nodes = (*top_level, *reached.values())
    imports = set().union(*(imported_names(node, f"functions.{function}") for node in main_nodes))
    auth_kinds = {route.auth for route in routing.routes_of(function, entry_point)}
    unused_checks = frozenset(path for path, kinds in AUTH_MODULES.items() if not kinds & auth_kinds)
    return Reach(main_nodes, frozenset(local_closure(_module_files(imports), skip=unused_checks) - {main}))


def _is_serve(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "id", "") == "serve"
    )


@functools.cache
def _property_fields() -> dict[str, frozenset[str]]:
    """Each Settings property → the fields it reads, through other properties too."""
    tree = ast.parse(CONFIG_FILE.read_text())
    settings_class = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    direct = {
        node.name: {a.attr for a in ast.walk(node) if isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name)}
        for node in settings_class.body
        if isinstance(node, ast.FunctionDef) and any(getattr(d, "id", "") == "property" for d in node.decorator_list)
    }

    def expand(name: str, seen: frozenset[str]) -> frozenset[str]:
        fields = {a for a in direct[name] if a in Settings.model_fields}
        for other in direct[name] & set(direct) - seen:
            fields |= expand(other, seen | {name})
        return frozenset(fields)

    return {name: expand(name, frozenset()) for name in direct}


def settings_read(found: Reach) -> frozenset[str]:
    """The settings a deployed function reads: attributes named like a Settings field or
    property anywhere it reaches, lib/config.py's own code aside, local-only settings aside."""
    properties = _property_fields()
    read: set[str] = set()
    for tree in found.nodes:
        if getattr(tree, "body", None) is not None and _is_config(tree):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                if node.attr in Settings.model_fields:
                    read.add(node.attr)
                read |= properties.get(node.attr, frozenset())
    return frozenset(read - LOCAL_ONLY)


def _is_config(tree: ast.AST) -> bool:
    return any(isinstance(n, ast.ClassDef) and n.name == "Settings" for n in getattr(tree, "body", []))


def permissions_declared(found: Reach) -> dict[str, frozenset[str]]:
    """Module → the Google permissions it declares beside the calls that need them
    (its `IAM_PERMISSIONS`)."""
    declared: dict[str, frozenset[str]] = {}
    for path in sorted(found.modules):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        permissions = getattr(importlib.import_module(name), PERMISSIONS_NAME, None)
        if permissions is not None:
            declared[name] = frozenset(permissions)
    return declared


def permissions_needed(function: str, entry_point: str) -> frozenset[str]:
    """Every permission a code path of the deployed function can need: its modules'
    declarations and its routes' token checks."""
    auth_kinds = {route.auth for route in routing.routes_of(function, entry_point)}
    by_auth = [PERMISSIONS_BY_AUTH.get(kind, frozenset()) for kind in auth_kinds]
    return frozenset().union(*permissions_declared(reach(function, entry_point)).values(), *by_auth)
