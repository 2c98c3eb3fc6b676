"""The task kinds, by name."""

from __future__ import annotations

from typing import Any

from cowork.errors import InputError
from cowork.kinds.base import Kind
from cowork.kinds.change import Change
from cowork.kinds.docs import Docs
from cowork.kinds.overview import Architecture
from cowork.kinds.research import Research
from cowork.kinds.review import Review
from cowork.kinds.summarize import Summarize

KINDS: dict[str, Kind] = {
    k.name: k for k in (Summarize(), Architecture(), Review(), Docs(), Research(), Change())
}


def schema_for(kind: str) -> dict[str, Any] | None:
    """The JSON schema a model's answer to `kind` must follow; None for Markdown."""
    spec = KINDS.get(kind)
    return spec.answer_schema() if spec is not None else None


def get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise InputError(
            f"unknown task kind {name!r}; expected one of {', '.join(KINDS)}"
        ) from None
