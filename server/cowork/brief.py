"""Briefs: the explicit ask behind every task, as data and as a Markdown document.

Document form (what `cowork.newBrief` opens and `cowork.dispatchBrief` reads):

    ---
    kind: summarize
    uri: file:///…/module.py
    ---
    # Summarize module.py

    ## Goal
    …
    ## Context
    - server/cowork/engine.py
    ## Output format
    …
    ## Out of scope
    …
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from cowork.errors import InputError

SECTIONS = ("Goal", "Context", "Output format", "Out of scope")
# Kinds whose task argument is the brief's goal itself (a change's goal is what the
# person writes under "## Goal", not a second copy in the front matter).
GOAL_IS_PARAM = frozenset({"change"})


@dataclass
class Brief:
    kind: str
    title: str
    goal: str
    context: list[str] = field(default_factory=list)
    output_format: str = ""
    out_of_scope: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def to_markdown(self) -> str:
        """The brief as the document a person edits and a model reads."""
        params = {
            k: v for k, v in self.params.items() if not (k == "goal" and self.kind in GOAL_IS_PARAM)
        }
        front = yaml.safe_dump(
            {"kind": self.kind, **params}, sort_keys=False, allow_unicode=True
        ).strip()
        context = "\n".join(f"- {c}" for c in self.context) or "- (none given)"
        return (
            f"---\n{front}\n---\n# {self.title}\n\n"
            f"## Goal\n\n{self.goal.strip()}\n\n"
            f"## Context\n\n{context}\n\n"
            f"## Output format\n\n{self.output_format.strip()}\n\n"
            f"## Out of scope\n\n{self.out_of_scope.strip()}\n"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "goal": self.goal,
            "context": self.context,
            "outputFormat": self.output_format,
            "outOfScope": self.out_of_scope,
        }

    @classmethod
    def from_markdown(cls, text: str) -> Brief:
        """Parse a brief document; InputError naming what is missing or malformed."""
        match = re.match(r"\A---\r?\n(.*?)\r?\n---\r?\n(.*)\Z", text, re.S)
        if not match:
            raise InputError(
                "the brief has no front matter: it must start with '---', a "
                "'kind: …' line and '---'"
            )
        try:
            front = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise InputError(f"the brief's front matter is not valid YAML: {exc}") from None
        if not isinstance(front, dict) or not isinstance(front.get("kind"), str):
            raise InputError("the brief's front matter must name its kind, e.g. 'kind: summarize'")
        body = match.group(2)
        title_match = re.search(r"^# (.+)$", body, re.M)
        sections: dict[str, str] = {}
        for m in re.finditer(r"^## (.+?)\s*$\n(.*?)(?=^## |\Z)", body, re.M | re.S):
            sections[m.group(1).strip().lower()] = m.group(2).strip()
        goal = sections.get("goal", "")
        if not goal:
            raise InputError(
                "the brief has no '## Goal' section (or it is empty): say what you want"
            )
        context = [
            line.strip()[2:].strip().strip("`")
            for line in sections.get("context", "").splitlines()
            if line.strip().startswith(("- ", "* ")) and "(none given)" not in line
        ]
        params = {k: v for k, v in front.items() if k != "kind"}
        if front["kind"] in GOAL_IS_PARAM:
            params["goal"] = goal
        return cls(
            kind=front["kind"],
            title=title_match.group(1).strip() if title_match else front["kind"],
            goal=goal,
            context=context,
            output_format=sections.get("output format", ""),
            out_of_scope=sections.get("out of scope", ""),
            params=params,
        )
