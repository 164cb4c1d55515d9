"""The Firestore queries the code declares (lib/queries.QueryShape), found by importing every
module of functions/, lib/ and ops/, and the places that build a query some other way, found in
their syntax trees."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from pathlib import Path

from lib.queries import QueryShape

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("functions", "lib", "ops")
BUILDER = Path("lib") / "queries.py"

# Calls of the Firestore client that make a query, add to one or run one.
QUERY_CALLS = frozenset(
    {
        "FieldFilter",
        "collection_group",
        "where",
        "order_by",
        "select",
        "limit",
        "limit_to_last",
        "offset",
        "start_at",
        "start_after",
        "end_at",
        "end_before",
        "stream",
        "on_snapshot",
        "find_nearest",
        "avg",
    }
)


def _modules() -> Iterator[str]:
    for package in PACKAGES:
        yield package
        for found in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            # Importing ops.__main__ would run the CLI.
            if not found.name.endswith(".__main__"):
                yield found.name


def _held(label: str, value: object) -> Iterator[tuple[str, object]]:
    """The value, and what a dict, tuple or list value holds, each with its label."""
    yield label, value
    if isinstance(value, Mapping):
        yield from ((f"{label}[{key!r}]", item) for key, item in value.items())
    elif isinstance(value, tuple | list):
        yield from ((f"{label}[{index}]", item) for index, item in enumerate(value))


def declared_shapes() -> dict[str, QueryShape]:
    """Every shape a module-level name holds, directly or in a dict, tuple or list, labelled by
    where it is found first."""
    found: dict[str, QueryShape] = {}
    for name in _modules():
        for attribute, value in vars(importlib.import_module(name)).items():
            for label, shape in _held(f"{name}.{attribute}", value):
                if isinstance(shape, QueryShape) and shape not in found.values():
                    found[label] = shape
    return found


def _receiver_is_a_collection(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Attribute)
        and func.value.func.attr == "collection"
    )


def calls_outside_declarations(source: str, label: str) -> list[str]:
    """`label:line: call` for each query a module's source builds or runs itself, and each
    QueryShape it makes inside a function (where declared_shapes cannot see it)."""
    tree = ast.parse(source)
    in_functions = {
        id(node)
        for scope in ast.walk(tree)
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for node in ast.walk(scope)
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        through_builder = isinstance(func, ast.Attribute) and ast.unparse(func.value) == "queries"
        if (
            (name in QUERY_CALLS and not through_builder)
            or (name == "get" and _receiver_is_a_collection(node))
            or (name == "QueryShape" and id(node) in in_functions)
        ):
            found.append(f"{label}:{node.lineno}: {ast.unparse(func)}")
    return found


def undeclared_queries(root: Path = ROOT) -> list[str]:
    """calls_outside_declarations over every module of functions/, lib/ and ops/ but the builder."""
    return [
        call
        for package in PACKAGES
        for path in sorted((root / package).rglob("*.py"))
        if path.relative_to(root) != BUILDER
        for call in calls_outside_declarations(path.read_text(), str(path.relative_to(root)))
    ]
