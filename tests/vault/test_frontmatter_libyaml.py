"""libyaml reads frontmatter for speed; it must read every header exactly as the pure-Python
loader does (values, duplicate-key warnings, errors)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penna.vault import frontmatter

pytestmark = pytest.mark.skipif(frontmatter._FastLoader is None, reason="PyYAML built without libyaml")

KEYS = st.sampled_from(["title", "tags", "aliases", "date", "author", "source", "title"])
SCALARS = st.sampled_from(["2024-13-45", "2024-01-02", "yes", "no", "~", "12", "1.5e3", "'quoted'", '"dq"',
                           "[a, b]", "{x: 1}", "- item", "plain words: colon", "#not a tag", "0x1F", "null",
                           "[[a link]]", "|", ">", "é ünï", "\u0007", "\t"])


def both(raw: str) -> tuple[object, object]:
    fast = frontmatter.parse_yaml_mapping(raw)
    saved = frontmatter._FastLoader
    frontmatter._FastLoader = None
    try:
        return fast, frontmatter.parse_yaml_mapping(raw)
    finally:
        frontmatter._FastLoader = saved


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(KEYS, SCALARS, st.booleans()), max_size=6))
def test_libyaml_reads_headers_as_the_pure_python_loader_does(lines: list[tuple[str, str, bool]]) -> None:
    raw = "\n".join(f"{k}:\n  {v}" if nested else f"{k}: {v}" for k, v, nested in lines)
    fast, pure = both(raw)
    assert fast == pure


@pytest.mark.parametrize("raw", ["title: A\ntitle: B", "a: &x 1\nb: *x", "date: 2024-01-02\ntags: [a, b]",
                                 "bad: [unclosed", "- a list\n- not a mapping", "k: v\x01", ""])
def test_known_headers_read_alike(raw: str) -> None:
    fast, pure = both(raw)
    assert fast == pure
