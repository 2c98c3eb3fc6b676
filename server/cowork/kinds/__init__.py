"""The task kinds, by name.

The kinds (and the context machinery they import) load on first use, not with
this package: the language server answers `initialize` before it needs them.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from cowork.errors import InputError

if TYPE_CHECKING:
    from cowork.kinds.base import Kind

KINDS: dict[str, Kind]  # every kind by name (module attribute, made on first use)


@functools.cache
def _kinds() -> dict[str, Kind]:
    from cowork.kinds.change import Change
    from cowork.kinds.docs import Docs
    from cowork.kinds.overview import Architecture
    from cowork.kinds.research import Research
    from cowork.kinds.review import Review
    from cowork.kinds.summarize import Summarize

    return {
        k.name: k for k in (Summarize(), Architecture(), Review(), Docs(), Research(), Change())
    }


def __getattr__(name: str) -> Any:
    if name == "KINDS":
        return _kinds()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def schema_for(kind: str) -> dict[str, Any] | None:
    """The JSON schema a model's answer to `kind` must follow; None for Markdown."""
    spec = _kinds().get(kind)
    return spec.answer_schema() if spec is not None else None


def get(name: str) -> Kind:
    kinds = _kinds()
    try:
        return kinds[name]
    except KeyError:
        raise InputError(
            f"unknown task kind {name!r}; expected one of {', '.join(kinds)}"
        ) from None
