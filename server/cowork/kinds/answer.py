"""A model's answer in the shape its kind asks for, read back into the artifact.

Each kind owns its system prompt, the pydantic model of its answer (in a
`<kind>_answer` module, imported only when a model is asked or answers: pydantic
is slow to import and the CLI's start-up is measured) and the Markdown rendering.
This module holds what they share: the common part of the system prompts, reading
a structured answer, normalising the words a model may get wrong, and finishing an
answer into the artifact's body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from cowork import fences
from cowork.kinds.findings import Finding, cut_note

if TYPE_CHECKING:
    from pydantic import BaseModel

    M = TypeVar("M", bound=BaseModel)

_COMMON = """\
You are cowork, a careful senior engineer working asynchronously for a developer \
who handed you a well-defined task and went back to their own work. What you write \
is a first draft for that person to review, never a decision. Work only from the \
context given; when something you would need is not in it, say so as an open \
question instead of guessing. Cite files as `path:line` or `path:start-end`, and \
only lines you were shown. Be concrete and brief; no preamble."""

# The system prompt of a kind that has no prompt of its own (and `change`, whose
# answer is edits, read by the change flow).
GENERIC_PROMPT = """\
You are cowork, a careful senior engineer working asynchronously for a developer \
who handed you a well-defined task and went back to their own work. You answer \
with a Markdown document that is a first draft for that person to review, never \
a decision. Work only from the context given; when something you would need is \
not in it, say so in an "Open questions" section instead of guessing. Cite files \
as `path:line`. Be concrete and brief; no preamble."""

_STRUCTURED = (
    "Answer in the structured form asked for: one JSON document following its schema, "
    "no code fences around it. Text fields are Markdown."
)


def system_prompt(hand_off: str) -> str:
    """A kind's system prompt: the common part, then what this hand-off asks of a
    diligent colleague and what is out of scope, then the answer's form."""
    return f"{_COMMON}\n\n{' '.join(hand_off.split())}\n\n{_STRUCTURED}"


@dataclass
class Rendered:
    """A structured answer as the artifact shows it: Markdown, what was adjusted when
    it was read (`notes`), and the findings to publish (review)."""

    body: str
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def unfenced(text: str) -> str:
    """`text` without a code fence around it: models that ignore the request for a
    bare document often wrap it in ```json."""
    match = re.fullmatch(r"\s*(`{3,})[a-zA-Z]*\s*\n(.*)\n\s*\1\s*", text, re.S)
    return match.group(2) if match else text


def parse(model: type[M], text: str) -> M | None:
    """`text` read as `model`; None when it is not one (a model or server that
    ignored the schema)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(json.loads(unfenced(text)))
    except (ValueError, ValidationError):
        return None


def one_of(
    value: str | None,
    allowed: Sequence[str],
    default: str,
    notes: list[str],
    *,
    field: str,
    where: str,
) -> str:
    """`value` as one of `allowed` (case and spacing aside); another word is read as
    `default`, and `notes` says so: "`where`: `field` 'x' is not one of …"."""
    word = "-".join((value or "").lower().split())
    if word in allowed:
        return word
    if value:
        notes.append(
            f"{where}: {field} {value!r} is not one of {', '.join(allowed)}; read as `{default}`"
        )
    else:
        notes.append(f"{where}: no {field} given; read as `{default}`")
    return default


def bullets(items: Sequence[str], empty: str = "None.") -> list[str]:
    """Markdown bullets, one per non-empty item (continuation lines indented)."""
    out = ["- " + item.strip().replace("\n", "\n  ") for item in items if item and item.strip()]
    return out or [empty]


def section(title: str, lines: Sequence[str]) -> list[str]:
    return [f"## {title}", "", *lines, ""]


def cited(where: Sequence[str]) -> str:
    """Locations as inline code, comma-separated: `a.py:3`, `b.py:9-12`."""
    return ", ".join(f"`{w.strip().strip('`')}`" for w in where if w.strip())


def cell(text: str) -> str:
    """`text` fit for a Markdown table cell: one line, its pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def with_notes(body: str, notes: Sequence[str]) -> str:
    """The body and, at its end, what was adjusted when the answer was read."""
    if not notes:
        return body
    listed = "\n".join(f"> - {n}" for n in notes)
    return (
        f"{body.rstrip()}\n\n> **Note**: the answer did not quite follow the form asked "
        f"for; it is kept, read as follows:\n>\n{listed}\n"
    )


def not_structured(kind: str) -> str:
    """What an answer that ignored the schema says at its end."""
    why = ", so its observations are not shown as diagnostics" if kind == "review" else ""
    return (
        "> **Note**: the model did not answer in the structured form asked for"
        f"{why}; its answer is kept as written."
    )


def _fenced(text: str) -> str:
    fence = fences.fence(text)
    return f"{fence}json\n{text.rstrip()}\n{fence}\n"


def finish_answer(
    kind: str,
    offline: bool,
    text: str,
    recipe: list[Finding],
    *,
    cut: bool = False,
    continuations: int = 0,
    title: str | None = None,
) -> tuple[str, list[Finding]]:
    """(the artifact body, the findings to show) of a finished answer. A model's
    structured answer is rendered by its kind; one that ignores the schema is kept as
    written, with a note. The offline provider's answer is the kind's report (and a
    review's findings the recipe's own checks). An answer still `cut` by the output
    limit says so; a cut structured answer is kept as text, and none of its findings
    are published (half a document is not read). A rendered structured answer opens
    with `title` as its heading, as the offline reports do."""
    from cowork import kinds

    if offline:
        return text, recipe
    spec = kinds.KINDS.get(kind)
    if spec is None or spec.answer_schema() is None:
        return (f"{text.rstrip()}\n\n{cut_note(continuations)}\n" if cut else text), []
    if cut:
        if not unfenced(text).lstrip().startswith("{"):
            return f"{text.rstrip()}\n\n{cut_note(continuations)}\n", []
        read = (
            "Its findings are not shown as diagnostics: only a whole answer is read."
            if kind == "review"
            else "Only a whole answer is read in its structured form: here it is as sent."
        )
        return f"{cut_note(continuations)} {read}\n\n{_fenced(text)}", []
    rendered = spec.render_answer(text)
    if rendered is not None:
        body = rendered.body
        if title and not body.lstrip().startswith("# "):
            body = f"# {title}\n\n{body.lstrip()}"
        return with_notes(body, rendered.notes), rendered.findings
    shown = as_markdown(text)
    if shown is not None:  # JSON, but in a shape of its own: its fields, readable
        return f"{shown.rstrip()}\n\n{other_shape(kind)}\n", []
    return f"{text.rstrip()}\n\n{not_structured(kind)}\n", []


def other_shape(kind: str) -> str:
    """What an answer in JSON of another shape than the schema's says at its end."""
    why = "; its findings are not shown as diagnostics" if kind == "review" else ""
    return (
        "> **Note**: the model answered in JSON that does not follow the form asked for: "
        f"its fields are shown as sent{why}."
    )


_MAX_DEPTH = 4  # headings go no deeper than ####; below, fields are bullets


def as_markdown(text: str) -> str | None:
    """A JSON object in `text` as Markdown: each field a section named after its key
    (`open_questions` -> "Open questions"), lists as bullets; None when `text` is not
    a JSON object."""
    try:
        data = json.loads(unfenced(text))
    except ValueError:
        return None
    if not isinstance(data, dict) or not data:
        return None
    return "\n".join(_fields(data, 2)) + "\n"


def _title(key: str) -> str:
    words = key.replace("_", " ").replace("-", " ").split()
    words = [w.upper() if w.lower() in ("api", "id", "url", "http") else w for w in words]
    title = " ".join(words)
    return title[:1].upper() + title[1:]


def _inline(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return "; ".join(_inline(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_title(k)}: {_inline(v)}" for k, v in value.items())
    return json.dumps(value)


def _fields(data: dict[str, Any], depth: int) -> list[str]:
    out: list[str] = []
    for key, value in data.items():
        if depth > _MAX_DEPTH:
            out.append(f"- **{_title(key)}**: {_inline(value)}")
            continue
        out += [f"{'#' * depth} {_title(key)}", ""]
        if isinstance(value, dict):
            out += _fields(value, depth + 1)
        elif isinstance(value, list):
            out += [*bullets([_inline(v) for v in value]), ""]
        else:
            out += [_inline(value) or "—", ""]
    return out


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON schema, as the providers request it."""
    return model.model_json_schema()
