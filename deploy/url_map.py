"""Where Google's URL map sends a request: host rules, then the path matcher's route rules in
priority order (the first rule with a matching match rule wins), then its default service; a host
no rule names goes to the URL map's default service. The URL map is local.url_map of
terraform/routes.tf as Terraform evaluates it, the same value google_compute_url_map.api is given.

Match rules follow the compute API's semantics, on the path without query or fragment and case
sensitive: fullPathMatch is the whole path, prefixMatch its start, pathTemplateMatch a template
where `*` and `{name}` / `{name=*}` are one non-empty segment and `**` / `{name=**}` (last operator
only) the rest of the path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

# `{name}`, `{name=*}`, `{name=**}`, `**` or `*`, in that order of preference.
_OPERATOR = re.compile(r"\{\w+(?:=(\*\*?))?\}|\*\*|\*")


@functools.cache
def template_pattern(template: str) -> re.Pattern[str]:
    """The regular expression a pathTemplateMatch value stands for."""
    parts: list[str] = []
    position = 0
    operators = list(_OPERATOR.finditer(template))
    for index, operator in enumerate(operators):
        parts.append(re.escape(template[position : operator.start()]))
        multi = operator[0] == "**" or operator[1] == "**"
        if multi and index != len(operators) - 1:
            raise ValueError(f"{template}: '**' must be the last operator")
        parts.append(".*" if multi else "[^/]+")
        position = operator.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))


def _matches(rule: Mapping[str, Any], path: str) -> bool:
    kinds = {str(name): str(value) for name, value in rule.items() if value is not None}
    if len(kinds) != 1:
        raise ValueError(f"a match rule needs exactly one of its path matches, got {sorted(kinds)}")
    kind, value = next(iter(kinds.items()))
    if kind == "full_path_match":
        return path == value
    if kind == "prefix_match":
        return path.startswith(value)
    if kind == "path_template_match":
        return template_pattern(value).fullmatch(path) is not None
    raise ValueError(f"unsupported match rule {kind}")


def _host_matches(pattern: str, host: str) -> bool:
    """A host rule's `*` stands for any leading characters of the host."""
    if pattern == "*":
        return True
    if pattern.startswith("*"):
        return host.endswith(pattern[1:].lower())
    return host == pattern.lower()


def resolve(url_map: Mapping[str, Any], host: str, path: str) -> str:
    """The backend name (e.g. "function:<key>", "bucket:media") a request for `host` and `path`
    (query and fragment are ignored) is sent to."""
    host = re.sub(r":\d+$", "", host.lower())
    path = path.split("?", 1)[0].split("#", 1)[0]
    matcher_name = next(
        (rule["path_matcher"] for rule in url_map["host_rules"] if any(_host_matches(h, host) for h in rule["hosts"])),
        None,
    )
    if matcher_name is None:
        return str(url_map["default_service"])
    matcher = url_map["path_matchers"][matcher_name]
    for rule in sorted(matcher["route_rules"], key=lambda r: int(r["priority"])):
        if any(_matches(match, path) for match in rule["match_rules"]):
            return str(rule["service"])
    return str(matcher["default_service"])


def bucket_object(path: str) -> str:
    """The object a backend bucket is asked for: the request path without its leading slash (the
    URL map rewrites nothing)."""
    return path.split("?", 1)[0].split("#", 1)[0].removeprefix("/")
