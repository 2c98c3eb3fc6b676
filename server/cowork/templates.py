"""Team brief templates: `.cowork/briefs/templates/<kind>.md` overrides a kind's default
brief — what quick actions and `cowork.newBrief` start from — with the team's own
goal, output format and out-of-scope text. `{title}` in it stands for the task's
title. A template that does not parse, or names another kind, is not used (the
defaults stand) and the log says why."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from cowork.brief import GOAL_IS_PARAM, Brief
from cowork.errors import InputError

log = logging.getLogger(__name__)

# Kinds whose goal is the person's own ask (a change's goal, a research question):
# a template gives them its format and scope, never its goal.
_OWN_GOAL = GOAL_IS_PARAM | {"research"}


def path_of(root: Path, kind: str) -> Path:
    return root / ".cowork" / "briefs" / "templates" / f"{kind}.md"


def apply(brief: Brief, root: Path) -> Brief:
    """`brief` with its workspace's template for its kind, if there is a usable one.
    Reads a file: call off the event loop."""
    path = path_of(root, brief.kind)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return brief
    try:
        template = Brief.from_markdown(text)
    except InputError as exc:
        log.warning("brief template %s is not used: %s", path, exc)
        return brief
    if template.kind != brief.kind:
        log.warning(
            "brief template %s names kind %r, not %r: not used", path, template.kind, brief.kind
        )
        return brief

    def fill(text: str, default: str) -> str:
        return text.replace("{title}", brief.title) if text.strip() else default

    return dataclasses.replace(
        brief,
        goal=brief.goal if brief.kind in _OWN_GOAL else fill(template.goal, brief.goal),
        output_format=fill(template.output_format, brief.output_format),
        out_of_scope=fill(template.out_of_scope, brief.out_of_scope),
    )


@dataclass(frozen=True)
class TemplateIssue:
    line: int  # 0-based
    code: str
    message: str


def lint(text: str, name: str) -> list[TemplateIssue]:
    """What keeps the template document `text`, named `name` (`<kind>.md`), from being
    used: the defaults stand in its place. Pure text work."""
    from cowork.kinds import KINDS

    kind = name.removesuffix(".md")
    if kind not in KINDS:
        return [
            TemplateIssue(
                0,
                "template-unknown-kind",
                f"`{name}` names no task kind, so it is never used: a template is named "
                f"after its kind ({', '.join(f'{k}.md' for k in KINDS)}).",
            )
        ]
    try:
        template = Brief.from_markdown(text)
    except InputError as exc:
        lines = text.splitlines()
        goal = next((n for n, line in enumerate(lines) if line.startswith("## Goal")), 0)
        where = goal if "Goal" in str(exc) else 0
        return [
            TemplateIssue(
                where,
                "template-invalid",
                f"Not a valid brief, so the default {kind} brief is used instead: {exc}",
            )
        ]
    if template.kind != kind:
        lines = text.splitlines()
        at = next((n for n, line in enumerate(lines) if line.startswith("kind:")), 0)
        return [
            TemplateIssue(
                at,
                "template-kind-mismatch",
                f"This template says `kind: {template.kind}` but is named `{name}`, so it is "
                f"not used: the default {kind} brief stands.",
            )
        ]
    return []
