"""Field readers: a dotted path read like ``get_field`` (longest dotted key first), null as absent."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.correlator.field_access import getter

KEYS = ["a", "a.b", "a.b.c", "b", "b.c", "c", "x"]
leaves: st.SearchStrategy[Any] = st.sampled_from([None, 1, "v", [], {}])
docs: st.SearchStrategy[dict[str, Any]] = st.recursive(
    leaves, lambda inner: st.dictionaries(st.sampled_from(KEYS), inner, max_size=5), max_leaves=12
).filter(lambda d: isinstance(d, dict))


def reference(doc: Any, parts: list[str]) -> Any:
    """At each level the longest dotted key present (and not null) wins, without going back."""
    if not parts:
        return doc
    if not isinstance(doc, dict):
        return None
    for j in range(len(parts), 0, -1):
        child = doc.get(".".join(parts[:j]))
        if child is not None:
            return reference(child, parts[j:])
    return None


@settings(max_examples=1000)
@given(doc=docs, path=st.sampled_from(["a", "a.b", "a.b.c", "b.c", "x.a.b.c"]))
def test_getter_reads_like_the_longest_dotted_key_rule(doc: dict[str, Any], path: str) -> None:
    assert getter(path)(doc) == reference(doc, path.split("."))
