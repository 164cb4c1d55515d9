"""Offline schema check of terraform/*.tf: providers cannot be downloaded here, so `terraform
validate` never runs. The google and google-beta provider schemas come instead from the npm
packages @cdktf/provider-google{,-beta} (pinned in deploy/provider_schemas.json, fetched by
deploy/provider_schemas.py), whose `.jsii` file describes every resource and data source as
generated from the provider's own schema:

- a resource or data source is a class (base cdktf.TerraformResource / TerraformDataSource)
  whose docs summary links its Terraform type ("Represents a {@link URL google_x}") and whose
  initializer takes its config struct;
- a struct property is an argument or a nested block; its Terraform name is the anchor of its
  docs link (".../docs/resources/x#build_config ..."), the camelCase name being renamed in places;
- a property without `optional` is required (for a list/set block: min_items >= 1);
- a nested block is documented "<name> block." and typed as its struct when it is a single block
  (nesting "single", or list/set with max_items 1) and as an array of it otherwise;
- the schema's `deprecated` flag is not carried (cdktf's generator drops it), so an argument counts
  as deprecated only when its description says so ("Deprecated: ...", "**DEPRECATED** ...").

`python -m deploy.tfschema terraform/` prints one `file:line: address: message` per finding
and a summary, and exits 1 on any finding."""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import hcl2
from lark import Token, Tree

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / ".provider-schemas"

# Terraform source address -> npm package carrying that provider's schema.
PACKAGES = {
    "hashicorp/google": "@cdktf/provider-google",
    "hashicorp/google-beta": "@cdktf/provider-google-beta",
}
# The provider a local name means when required_providers does not say.
DEFAULT_SOURCES = {"google": "hashicorp/google", "google-beta": "hashicorp/google-beta"}

META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
DYNAMIC_ARGUMENTS = frozenset({"for_each", "iterator", "labels"})

_TYPE_LINK = re.compile(r"Represents a \{@link \S+ ([\w-]+)\}")
_ANCHOR = re.compile(r"\{@link https://registry\.terraform\.io/providers/\S+#(\w+) \S+\}")
_DOCS_LINK = re.compile(r"\s*Docs at Terraform Registry: \{@link [^}]*\}\.?")
_COMMENT_NOTE = re.compile(r"\s*Note: The above comment contained a comment block ending sequence.*", re.S)
# A description that declares the argument itself deprecated, not one of its values.
_DEPRECATED = re.compile(
    r"^\W*deprecated\b"
    r"|\b(?:this|the) (?:field|argument|attribute|property|option) (?:is|has been) deprecated\b",
    re.IGNORECASE,
)


def _deprecation(description: str) -> str:
    """The description's first sentence, without its own "Deprecated:" marker."""
    text = re.sub(r"^\W*deprecated\W*", "", description, flags=re.IGNORECASE)
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= 140 else sentence[:137] + "..."


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@dataclass(frozen=True)
class Field:
    """An argument or nested block of a block schema."""

    name: str
    kind: Literal["argument", "single", "list"]
    required: bool
    struct: str | None = None  # the nested block's (or object-typed argument's) struct fqn
    deprecated: str | None = None  # the description that says so


@dataclass(frozen=True)
class BlockSchema:
    fields: dict[str, Field]


@dataclass
class ProviderSchema:
    """One provider's schema, read from its cdktf package's .jsii."""

    source: str
    version: str
    types: dict[str, Any]
    resources: dict[str, str]  # Terraform type -> config struct fqn
    data_sources: dict[str, str]
    _blocks: dict[str, BlockSchema] = field(default_factory=dict)

    @classmethod
    def load(cls, package_dir: Path) -> ProviderSchema:
        package = json.loads((package_dir / "package.json").read_text())
        provider = package["cdktf"]["provider"]
        source = provider["name"].removeprefix("registry.terraform.io/")
        assembly = json.loads((package_dir / ".jsii").read_text())
        types: dict[str, Any] = assembly["types"]
        resources: dict[str, str] = {}
        data_sources: dict[str, str] = {}
        for spec in types.values():
            base = spec.get("base")
            if spec.get("kind") != "class" or base not in ("cdktf.TerraformResource", "cdktf.TerraformDataSource"):
                continue
            linked = _TYPE_LINK.search(spec.get("docs", {}).get("summary", ""))
            config = [p for p in spec.get("initializer", {}).get("parameters", []) if p["name"] == "config"]
            if linked is None or not config:
                continue
            target = resources if base == "cdktf.TerraformResource" else data_sources
            target[linked.group(1)] = config[0]["type"]["fqn"]
        return cls(source, provider["version"], types, resources, data_sources)

    def block(self, fqn: str) -> BlockSchema:
        cached = self._blocks.get(fqn)
        if cached is None:
            cached = self._blocks[fqn] = BlockSchema({f.name: f for f in self._fields(fqn)})
        return cached

    def _fields(self, fqn: str) -> Iterator[Field]:
        spec = self.types[fqn]
        for parent in spec.get("interfaces", []):
            if parent in self.types:
                yield from self._fields(parent)
        for prop in spec.get("properties", []):
            yield self._field(prop)

    def _field(self, prop: dict[str, Any]) -> Field:
        docs: dict[str, Any] = prop.get("docs", {})
        texts = [docs.get("summary", ""), docs.get("remarks", ""), *docs.get("custom", {}).values()]
        anchor = next((m.group(1) for t in texts if (m := _ANCHOR.search(t))), None)
        name = anchor or _snake(prop["name"])
        required = not prop.get("optional", False)
        if docs.get("summary", "") == f"{name} block.":
            struct, repeated = self._struct_of(prop["type"])
            return Field(name, "list" if repeated else "single", required, struct)
        description = _COMMENT_NOTE.sub("", _DOCS_LINK.sub(" ", " ".join(texts[:2]))).strip()
        deprecated = _deprecation(description) if _DEPRECATED.search(description) else None
        # An object-typed argument (none in google 6.14.0) may be an SDK "attribute as block",
        # which Terraform also takes in block syntax: keep its struct to allow that.
        struct = self._struct_of(prop["type"])[0]
        return Field(name, "argument", required, struct, deprecated)

    def _struct_of(self, type_ref: dict[str, Any]) -> tuple[str | None, bool]:
        """A block's struct fqn (None when cdktf left it untyped) and whether it repeats."""
        fqn = type_ref.get("fqn")
        if isinstance(fqn, str) and fqn in self.types:
            return fqn, False
        for member in type_ref.get("union", {}).get("types", []):
            element = member.get("collection", {}).get("elementtype", {}).get("fqn")
            if isinstance(element, str) and element in self.types:
                return element, True
        return None, "collection" in type_ref or "union" in type_ref


# --- The configuration, with line numbers: python-hcl2's parse tree (its dict form has none).


@dataclass(frozen=True)
class Argument:
    name: str
    line: int
    value: str  # the expression's source text


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...]
    line: int
    arguments: tuple[Argument, ...]
    blocks: tuple[Block, ...]


def _name(node: Tree[Token] | Token) -> str:
    """An identifier, keyword or quoted label, as written."""
    if isinstance(node, Token):
        return str(node)
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token) and v.type != "DBLQUOTE"))


def _body(body: Tree[Token], text: str) -> tuple[tuple[Argument, ...], tuple[Block, ...]]:
    arguments: list[Argument] = []
    blocks: list[Block] = []
    for node in body.children:
        if not isinstance(node, Tree):
            continue
        if node.data == "attribute":
            expression = node.children[-1]
            assert isinstance(expression, Tree)
            value = text[expression.meta.start_pos : expression.meta.end_pos]
            arguments.append(Argument(_name(node.children[0]), node.meta.line, value))
        elif node.data == "block":
            names = [c for c in node.children if isinstance(c, Tree) and c.data not in ("body", "new_line_or_comment")]
            inner = next(c for c in node.children if isinstance(c, Tree) and c.data == "body")
            inner_arguments, inner_blocks = _body(inner, text)
            labels = tuple(_name(n) for n in names[1:])
            blocks.append(Block(_name(names[0]), labels, node.meta.line, inner_arguments, inner_blocks))
    return tuple(arguments), tuple(blocks)


def parse_file(path: Path) -> tuple[Block, ...]:
    """The top-level blocks of one .tf file."""
    text = path.read_text()
    tree = hcl2.parses_to_tree(text)
    body = next(c for c in tree.children if isinstance(c, Tree) and c.data == "body")
    return _body(body, text)[1]


# --- The check.


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    address: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.address}: {self.message}"


def _did_you_mean(name: str, fields: dict[str, Field]) -> str:
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.75)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _where(scope: str) -> str:
    return f" in {scope}" if scope else ""


def check_body(
    provider: ProviderSchema,
    schema: BlockSchema,
    block: Block,
    scope: str,
    report: Callable[[int, str], None],
    *,
    top: bool = False,
) -> None:
    """Check one block body against its schema; `scope` names nested blocks (rule.match)."""
    present: set[str] = set()
    for argument in block.arguments:
        if top and argument.name in META_ARGUMENTS:
            continue
        found = schema.fields.get(argument.name)
        if found is None:
            report(
                argument.line,
                f'unsupported argument "{argument.name}"{_where(scope)}{_did_you_mean(argument.name, schema.fields)}',
            )
            continue
        if found.kind != "argument":
            report(argument.line, f'"{argument.name}"{_where(scope)} is a block, not an argument')
            continue
        if argument.value.strip() != "null":
            present.add(argument.name)
        if found.deprecated:
            report(argument.line, f'argument "{argument.name}"{_where(scope)} is deprecated: {found.deprecated}')
    first_line: dict[str, int] = {}
    for nested in block.blocks:
        if top and nested.type in META_BLOCKS:
            continue
        dynamic = nested.type == "dynamic"
        name = nested.labels[0] if dynamic and nested.labels else nested.type
        found = schema.fields.get(name)
        if found is None:
            kind = "dynamic block" if dynamic else "block"
            report(nested.line, f'unsupported {kind} "{name}"{_where(scope)}{_did_you_mean(name, schema.fields)}')
            continue
        if found.kind == "argument":
            if found.struct is None:
                report(nested.line, f'"{name}"{_where(scope)} is an argument, not a block: write {name} = ...')
            else:
                present.add(name)  # its struct's required flags are the parent's, so not checked inside
            continue
        present.add(name)
        inner_scope = f"{scope}.{name}" if scope else name
        if dynamic:
            contents = [b for b in nested.blocks if b.type == "content"]
            for argument in nested.arguments:
                if argument.name not in DYNAMIC_ARGUMENTS:
                    report(argument.line, f'unsupported argument "{argument.name}" in dynamic "{name}"')
            if len(contents) != 1:
                report(nested.line, f'dynamic "{name}" needs exactly one content block')
            bodies = contents
        else:
            if found.kind == "single" and name in first_line:
                report(nested.line, f'block "{inner_scope}" may appear only once (first at line {first_line[name]})')
            first_line.setdefault(name, nested.line)
            bodies = [nested]
        if found.struct is not None:
            for body in bodies:
                check_body(provider, provider.block(found.struct), body, inner_scope, report)
    for required in schema.fields.values():
        if required.required and required.name not in present:
            kind = "argument" if required.kind == "argument" else "block"
            report(block.line, f'missing required {kind} "{required.name}"{_where(scope)}')


@functools.cache
def load_provider(package_dir: Path) -> ProviderSchema:
    """Loaded on first use and kept: each .jsii is some 80 MB of JSON (2-3 s to read)."""
    return ProviderSchema.load(package_dir)


def required_providers(
    files: dict[Path, tuple[Block, ...]],
) -> tuple[dict[str, str], dict[str, tuple[Path, int, str]]]:
    """Each provider local name's source address, and its version constraint with where it is set."""
    sources = dict(DEFAULT_SOURCES)
    pins: dict[str, tuple[Path, int, str]] = {}
    for path, blocks in files.items():
        for terraform in (b for b in blocks if b.type == "terraform"):
            for required in (b for b in terraform.blocks if b.type == "required_providers"):
                for argument in required.arguments:
                    source = re.search(r'\bsource\s*=\s*"([^"]+)"', argument.value)
                    version = re.search(r'\bversion\s*=\s*"([^"]+)"', argument.value)
                    if source:
                        sources[argument.name] = source.group(1).removeprefix("registry.terraform.io/")
                    if version:
                        pins[argument.name] = (path, argument.line, version.group(1))
    return sources, pins


@dataclass
class Checker:
    schemas: Path = SCHEMAS
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    skipped: int = 0

    def provider(self, source: str) -> ProviderSchema:
        return load_provider(self.schemas / PACKAGES[source])

    def check_directory(self, directory: Path) -> list[Finding]:
        files = {path: parse_file(path) for path in sorted(directory.glob("*.tf"))}
        sources, pins = required_providers(files)
        for local, (path, line, constraint) in pins.items():
            source = sources.get(local, "")
            if source in PACKAGES:
                version = self.provider(source).version
                if constraint.replace(" ", "") not in (version, f"={version}"):
                    message = (
                        f'version "{constraint}" is not "= {version}", the version of the schema in {PACKAGES[source]}'
                    )
                    self.findings.append(Finding(path, line, f"required_providers.{local}", message))
        for path, blocks in files.items():
            for block in blocks:
                if block.type in ("resource", "data") and len(block.labels) == 2:
                    self.check_block(path, block, sources)
        return self.findings

    def check_block(self, path: Path, block: Block, sources: dict[str, str]) -> None:
        kind, name = block.labels
        address = f"{kind}.{name}" if block.type == "resource" else f"data.{kind}.{name}"
        chosen = next((a.value for a in block.arguments if a.name == "provider"), None)
        local = chosen.strip().split(".")[0] if chosen else kind.split("_")[0]
        source = sources.get(local, "")
        if source not in PACKAGES:
            self.skipped += 1
            return
        self.checked += 1
        provider = self.provider(source)
        known = provider.resources if block.type == "resource" else provider.data_sources
        if kind not in known:
            what = "resource" if block.type == "resource" else "data source"
            close = difflib.get_close_matches(kind, known, n=1, cutoff=0.75)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            if source == "hashicorp/google":
                beta = self.provider("hashicorp/google-beta")
                if kind in (beta.resources if block.type == "resource" else beta.data_sources):
                    hint = " (it is in hashicorp/google-beta: set provider = google-beta)"
            self.findings.append(
                Finding(path, block.line, address, f'unknown {what} type "{kind}" in {source} {provider.version}{hint}')
            )
            return

        def report(line: int, message: str) -> None:
            self.findings.append(Finding(path, line, address, message))

        check_body(provider, provider.block(known[kind]), block, "", report, top=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.tfschema", description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="a Terraform root module, e.g. terraform/")
    parser.add_argument("--schemas", type=Path, default=SCHEMAS, help="where deploy.provider_schemas put the schemas")
    args = parser.parse_args(argv)
    checker = Checker(args.schemas)
    findings = checker.check_directory(args.directory)
    for finding in sorted(findings, key=lambda f: (str(f.path), f.line, f.message)):
        print(finding)
    skipped = f" ({checker.skipped} skipped: their provider has no schema here)" if checker.skipped else ""
    print(f"{checker.checked} blocks checked, {len(findings)} findings{skipped}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
