"""The task kinds, by name.

Each kind (and the context machinery it imports) loads when first asked for, not
with this package: the language server answers `initialize` before it needs any,
and a CLI run needs one kind, where importing all of them is a good part of its
start-up.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cowork.errors import InputError

if TYPE_CHECKING:
    from cowork.kinds.base import Kind

# Where each kind lives, in the order they are listed.
_WHERE = {
    "summarize": ("cowork.kinds.summarize", "Summarize"),
    "architecture": ("cowork.kinds.overview", "Architecture"),
    "review": ("cowork.kinds.review", "Review"),
    "docs": ("cowork.kinds.docs", "Docs"),
    "research": ("cowork.kinds.research", "Research"),
    "change": ("cowork.kinds.change", "Change"),
}


class _Kinds(Mapping[str, "Kind"]):
    """The kinds by name, each made when first asked for."""

    def __init__(self) -> None:
        self._made: dict[str, Kind] = {}
        self._lock = threading.Lock()  # the CLI and the server gather in threads

    def __getitem__(self, name: str) -> Kind:
        with self._lock:
            kind = self._made.get(name)
            if kind is None:
                module, cls = _WHERE[name]
                kind = self._made[name] = getattr(importlib.import_module(module), cls)()
            return kind

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


KINDS: Mapping[str, Kind] = _Kinds()


def schema_for(kind: str) -> dict[str, Any] | None:
    """The JSON schema a model's answer to `kind` must follow; None for Markdown."""
    return KINDS[kind].answer_schema() if kind in _WHERE else None


def get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise InputError(
            f"unknown task kind {name!r}; expected one of {', '.join(KINDS)}"
        ) from None
