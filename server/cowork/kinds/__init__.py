"""The task kinds, by name."""

from __future__ import annotations

from cowork.errors import InputError
from cowork.kinds.base import Kind
from cowork.kinds.changes import Docs, Review
from cowork.kinds.overview import Architecture
from cowork.kinds.research import Research
from cowork.kinds.summarize import Summarize

KINDS: dict[str, Kind] = {
    k.name: k for k in (Summarize(), Architecture(), Review(), Docs(), Research())
}


def get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise InputError(
            f"unknown task kind {name!r}; expected one of {', '.join(KINDS)}"
        ) from None
