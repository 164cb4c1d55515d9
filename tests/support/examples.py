"""Example counts that follow the Hypothesis profile: a test asks for the count the default
profile runs, and a profile with fewer examples (`dev`) runs the same share of it."""

from __future__ import annotations

import hypothesis

# Hypothesis' own default max_examples, which the default profile keeps.
DEFAULT_EXAMPLES = 100


def examples(full: int) -> int:
    """`full` under the default profile; under another, scaled as its max_examples is."""
    return max(1, full * hypothesis.settings.default.max_examples // DEFAULT_EXAMPLES)
