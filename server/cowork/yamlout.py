"""Block-style YAML for plain data (mappings, lists, strings, numbers, booleans, None).

Artifacts carry their provenance as YAML: a review's lists hundreds of files, and
PyYAML's representer (Python, a node object per value) took ~20 ms per artifact. This
writes the same structure directly; `yaml.safe_load` reads back exactly the data
given (tests/test_yamlout.py checks it on generated data). Long strings stay on one
line, and strings that need quoting are double-quoted.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import yaml

# A plain scalar: no indicator first, no `: ` or ` #`, no space at either end.
_PLAIN = re.compile(r"[A-Za-z0-9_./(][A-Za-z0-9_./()@+~=,-]*(?: [A-Za-z0-9_./()@+~=,-]+)*")
# What a double-quoted scalar may not hold as is: not printable for YAML, or read as a
# line break (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR).
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_STR_TAG = "tag:yaml.org,2002:str"
_resolver: Any = yaml.resolver.Resolver()  # untyped: PyYAML ships no annotations


def dump(data: Mapping[str, Any]) -> str:
    """`data` as block-style YAML, ending with a newline ("{}\n" when empty)."""
    if not data:
        return "{}\n"
    lines: list[str] = []
    _mapping(data, 0, lines)
    return "\n".join(lines) + "\n"


def _mapping(data: Mapping[str, Any], indent: int, out: list[str], first: str = "") -> None:
    """Each key of `data` on a line of its own at `indent`; the first one after `first`
    (a list item's dash), when given."""
    pad = " " * indent
    for n, (key, value) in enumerate(data.items()):
        lead = first if n == 0 and first else pad
        head = f"{lead}{scalar(key)}:"
        if type(value) is str:  # most values: no ABC checks (a review writes thousands)
            out.append(f"{head} {_string(value)}")
        elif isinstance(value, Mapping) and value:
            out.append(head)
            _mapping(value, indent + 2, out)
        elif isinstance(value, list | tuple) and value:
            out.append(head)
            _sequence(value, indent, out)  # items at the key's indentation, as PyYAML
        else:
            out.append(f"{head} {_leaf(value)}")


def _sequence(items: list[Any] | tuple[Any, ...], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, Mapping) and item:
            _mapping(item, indent + 2, out, first=f"{pad}- ")
        elif isinstance(item, list | tuple) and item:
            out.append(f"{pad}-")
            _sequence(item, indent + 2, out)
        else:
            out.append(f"{pad}- {_leaf(item)}")


def _leaf(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return scalar(value)


def scalar(value: Any) -> str:
    """One scalar as YAML reads it back: plain where that is unambiguous, else quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "." not in text:  # YAML 1.1 wants a dot: 1e-05 would read as a string
            text = text.replace("e", ".0e", 1) if "e" in text else text + ".0"
        return text
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as YAML")
    return _string(value)


@functools.lru_cache(maxsize=8192)
def _string(value: str) -> str:
    # Remembered: a record repeats its keys and many of its values (kinds, reasons,
    # languages) hundreds of times, and PyYAML's resolver tries several patterns each.
    if _PLAIN.fullmatch(value) and _resolver.resolve(yaml.ScalarNode, value, (True, False)) == (
        _STR_TAG
    ):
        return value
    quoted = json.dumps(value, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
