"""The JSON schema of a structured review answer (`review_answer.ReviewAnswer`), kept
as data: every review hands it to its provider, and making it from the model imports
pydantic, a tenth of a second of a CLI run's start-up that the offline provider never
needs. `tests/test_snapshot.py` checks that it is the model's schema."""

from __future__ import annotations

import json
from typing import Any

_SCHEMA = (
    '{"$defs":{"_FindingOut":{"additionalProperties":false,"properties":{"path":{'
    '"description":"The file, relative to the workspace, as in the diff.","title"'
    ':"Path","type":"string"},"line":{"description":"The first line concerned, 1-'
    'based, in the new version.","title":"Line","type":"integer"},"end_line":{"an'
    'yOf":[{"type":"integer"},{"type":"null"}],"description":"The last line conce'
    'rned (and replaced by the suggestion); null for one line.","title":"End Line'
    '"},"severity":{"enum":["error","warning","information","hint"],"title":"Seve'
    'rity","type":"string"},"category":{"anyOf":[{"type":"string"},{"type":"null"'
    '}],"default":null,"description":"A short kebab-case name for the kind of fin'
    "ding, such as `error-handling`, `naming`, `security`, `missing-test`; null w"
    'hen none fits.","title":"Category"},"confidence":{"anyOf":[{"type":"string"}'
    ',{"type":"null"}],"default":null,"description":"How sure you are that this i'
    's a real problem: high, medium or low.","title":"Confidence"},"message":{"de'
    'scription":"One line under 100 characters, what to do first: \'Check this cal'
    'l: `f` now needs `g`\'.","title":"Message","type":"string"},"detail":{"descri'
    'ption":"Why, and what to do, in Markdown; may be empty.","title":"Detail","t'
    'ype":"string"},"suggestion":{"anyOf":[{"type":"string"},{"type":"null"}],"de'
    'scription":"Replacement text for lines line..end_line, or null when there is'
    ' none.","title":"Suggestion"}},"required":["path","line","end_line","severit'
    'y","message","detail","suggestion"],"title":"_FindingOut","type":"object"}},'
    '"additionalProperties":false,"description":"A review as structured output.",'
    '"properties":{"summary":{"description":"The review in Markdown: what the cha'
    'nge does, overall risks.","title":"Summary","type":"string"},"findings":{"it'
    'ems":{"$ref":"#/$defs/_FindingOut"},"title":"Findings","type":"array"}},"req'
    'uired":["summary","findings"],"title":"ReviewAnswer","type":"object"}'
)


def schema() -> dict[str, Any]:
    """A fresh copy of the schema (callers may change theirs)."""
    found: dict[str, Any] = json.loads(_SCHEMA)
    return found
