"""The provenance writer (cowork.yamlout): whatever it writes, YAML reads back as given."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cowork import yamlout

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text()
    | st.sampled_from(
        [
            "yes",
            "No",
            "on",
            "~",
            "null",
            "1e3",
            "0x1f",
            "1:20",
            "2026-11-30",
            ".inf",
            "- x",
            "a: b",
            "a #b",
            " lead",
            "trail ",
            "",
            "'",
            '"',
            "\u2028",
            "\x85",
            "\ud83d",
            "é",
        ]
    )
)
data: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["path", "true", "1"]), inner, max_size=4
        )
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=10), data, max_size=6))
def test_what_is_written_reads_back_the_same(value: dict[str, Any]) -> None:
    assert yaml.safe_load(yamlout.dump(value)) == (value or {})


def test_a_provenance_record_reads_as_written_and_looks_like_yaml() -> None:
    record = {
        "taskId": "00b433973125",
        "createdAt": "2026-11-30T04:58:42.862Z",
        "git": {"head": "f241780516f4e0aade4992e4c6bcb8b6f368893c", "detached": False},
        "brief": {"goal": "A first-pass review: does it do what it is supposed to?"},
        "context": {
            "files": [
                {"path": "python/acme/x.py", "sha256": "1ab6438a6c5c", "bytes": 1665},
                {"path": "web/src/a b.ts", "sha256": "0123", "bytes": 0},
            ],
            "cut": [],
        },
        "cost": {"usd": 0.0123, "tokens": 1e-05},
    }
    text = yamlout.dump(record)
    assert yaml.safe_load(text) == record
    assert (
        "  files:\n  - path: python/acme/x.py\n    sha256: 1ab6438a6c5c\n    bytes: 1665\n" in text
    )
    assert 'goal: "A first-pass review: does it do what it is supposed to?"' in text
    assert "cut: []" in text and "detached: false" in text
