"""From a brief and gathered context to the prompt a model receives.

The order is fixed for prompt caching: the kind's system prompt and the stable,
workspace-wide parts first; the task-specific parts and the brief last.
"""

from __future__ import annotations

from cowork.brief import Brief
from cowork.context.budget import LocalEstimator, Piece
from cowork.fences import fence
from cowork.kinds.answer import GENERIC_PROMPT
from cowork.kinds.base import Gathered
from cowork.providers.base import Prompt
from cowork.revision import Revision, prompt_section

# What a kind with no system prompt of its own is told.
SYSTEM_PROMPT = GENERIC_PROMPT


def system_for(kind: str) -> str:
    """The system prompt of `kind`: its own (what a diligent colleague does for that
    hand-off); the same bytes for every task of the kind, so they share the cache."""
    from cowork import kinds  # the kinds import this package's modules

    spec = kinds.KINDS.get(kind)
    return spec.system_prompt if spec is not None else SYSTEM_PROMPT


def render_part(part: Piece) -> str:
    f = fence(part.text)
    return f"### {part.title}\n\n{f}\n{part.text.rstrip()}\n{f}\n"


def build_prompt(brief: Brief, gathered: Gathered, revision: Revision | None = None) -> Prompt:
    """The prompt; a revision's previous draft and feedback come last, after the
    brief, so the prefix shared with the first version stays the same."""
    stable = [p for p in gathered.parts if p.stable]
    task = [p for p in gathered.parts if not p.stable]
    return Prompt(
        system=system_for(brief.kind),
        stable_context="\n".join(render_part(p) for p in stable),
        task_context="\n".join(render_part(p) for p in task),
        instruction=_instruction(brief, revision),
    )


def _instruction(brief: Brief, revision: Revision | None) -> str:
    text = brief.to_markdown()
    if revision is None:
        return text
    return f"{text}\n{prompt_section(revision, fence(revision.draft))}"


def reserved_tokens(brief: Brief, revision: Revision | None = None) -> int:
    """What a prompt spends outside its context parts: the kind's system prompt and the brief
    (and a revision's draft and feedback), plus room for the separators."""
    return LocalEstimator().count(system_for(brief.kind) + _instruction(brief, revision)) + 64
