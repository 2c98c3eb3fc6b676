"""After a model answers a `change` task: its edits applied in an isolated worktree,
one repair round for edits that do not apply and one for failing tests, then the
artifact — rationale, the patch, the test outcome, what a reviewer should check.

The user's working tree is never touched here: `cowork.applyChange` does that,
on request, from what this leaves in `.cowork/state/changes/<taskId>.json`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cowork import artifacts
from cowork.config import Settings
from cowork.context import edits as edit_rules
from cowork.context import worktree
from cowork.context.privacy import Exclusions, redact
from cowork.engine import testrun
from cowork.fences import fence
from cowork.kinds.change import parse_change
from cowork.providers.base import Completion, GenerationRequest

REPAIR_OUTPUT_CHARS = 12_000  # of failing test output sent back to the model

Generate = Callable[[GenerationRequest], Awaitable[Completion]]
Progress = Callable[[str], None]


@dataclass
class Proposal:
    """What the answer came to."""

    rationale: str = ""
    edits: list[edit_rules.Edit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: list[edit_rules.Refusal] = field(default_factory=list)
    applied: int = 0
    tests: testrun.Outcome | None = None
    diff: str = ""
    repairs: list[str] = field(default_factory=list)  # what each repair round was for


def state_file(root: Path, task_id: str) -> Path:
    return root / ".cowork" / "state" / "changes" / f"{task_id}.json"


def _pidfile(root: Path, task_id: str) -> Path:
    return state_file(root, task_id).with_suffix(".tests.pid")


async def finish_change(
    *,
    task_id: str,
    root: Path,
    params: dict[str, Any],
    overlays: dict[str, str],
    request: GenerationRequest,
    completion: Completion,
    generate: Generate,
    settings: Settings,
    progress: Progress,
    log: Path,
) -> tuple[str, dict[str, Any]]:
    """(the artifact body, the provenance's `change` entry). `completion.usage` grows
    with every repair round's."""
    parsed = parse_change(completion.text)
    if parsed is None:
        return _unstructured(completion.text), {}
    proposal = Proposal(*parsed)
    await asyncio.to_thread(discard, root, task_id)  # what an interrupted run left
    command = settings.test_command
    tree = await asyncio.to_thread(
        worktree.create,
        root,
        task_id,
        artifacts.slugify(params["goal"], 30),
        params.get("base"),
        _carry(root, params, overlays),
        None if command else [e.path for e in proposal.edits],  # tests need every file
    )
    exclusions = Exclusions(settings.exclude)

    verdicts: dict[str, str | None] = {}  # each asks git: once per path

    def refuse(rel: str) -> str | None:
        if rel not in verdicts:
            verdicts[rel] = edit_rules.refuse_path(root, rel, exclusions)
        return verdicts[rel]

    def plan_edits() -> edit_rules.Planned:
        allowed = [e.path for e in proposal.edits if refuse(e.path) is None]
        worktree.include(tree, allowed)  # a repair round may name other files
        return edit_rules.plan(proposal.edits, edit_rules.read_text(tree.path), refuse)

    async def planned() -> edit_rules.Planned:
        return await asyncio.to_thread(plan_edits)

    async def ask_again(reply: str, why: str) -> bool:
        """One more answer with `reply`; False when it is not a usable answer."""
        nonlocal request, completion
        progress(why)
        proposal.repairs.append(why)
        request = dataclasses.replace(
            request, followups=(*request.followups, (completion.text, reply))
        )
        again = await generate(request)
        completion.usage.add(again.usage)
        completion = dataclasses.replace(again, usage=completion.usage)
        parsed = parse_change(again.text)
        if parsed is None:
            return False
        proposal.rationale, proposal.edits, proposal.notes = parsed
        return True

    plan = await planned()
    if plan.refused and await ask_again(
        _refusals_reply(plan.refused), f"{len(plan.refused)} edits could not be applied: repairing"
    ):
        plan = await planned()
    await asyncio.to_thread(edit_rules.write, tree.path, plan)
    proposal.refused, proposal.applied = plan.refused, len(plan.files)

    if command and plan.files:
        progress(f"Running the tests: {command}")
        proposal.tests = await testrun.run(
            command, tree.path, settings.test_timeout_seconds, log, _pidfile(root, task_id)
        )
        if proposal.tests.status in ("failed", "timed out") and await ask_again(
            _tests_reply(proposal.tests), "The tests failed: repairing"
        ):
            await asyncio.to_thread(worktree.reset, tree)
            plan = await planned()
            await asyncio.to_thread(edit_rules.write, tree.path, plan)
            proposal.refused, proposal.applied = plan.refused, len(plan.files)
            progress(f"Running the tests again: {command}")
            proposal.tests = await testrun.run(
                command, tree.path, settings.test_timeout_seconds, log, _pidfile(root, task_id)
            )
    proposal.diff = await asyncio.to_thread(worktree.diff, tree)
    kept_edits = [e for i, e in enumerate(proposal.edits, 1) if i not in _indexes(plan.refused)]
    await asyncio.to_thread(_save_state, root, task_id, tree, kept_edits)
    meta = {
        "worktree": tree.path.relative_to(root).as_posix(),
        "branch": tree.branch,
        "base": tree.base,
        "tests": proposal.tests.status if proposal.tests else "not run",
        "edits": {"applied": len(kept_edits), "refused": len(proposal.refused)},
        "repairRounds": len(proposal.repairs),
    }
    return render(params, proposal, tree, settings, root), meta


def _carry(root: Path, params: dict[str, Any], overlays: dict[str, str]) -> dict[str, str | None]:
    """The files in context, with the editor's unsaved text where there is some (what
    the model saw); None: take the file as it is on disk."""
    return {rel: overlays.get(rel) for rel in params.get("paths") or []}


def _indexes(refused: list[edit_rules.Refusal]) -> set[int]:
    return {r.index for r in refused}


def _save_state(
    root: Path, task_id: str, tree: worktree.Worktree, kept: list[edit_rules.Edit]
) -> None:
    data = {
        "taskId": task_id,
        "worktree": str(tree.path),
        "branch": tree.branch,
        "base": tree.base,
        "edits": [dataclasses.asdict(e) for e in kept],
    }
    artifacts.write_atomic(state_file(root, task_id), json.dumps(data, indent=1))


def _refusals_reply(refused: list[edit_rules.Refusal]) -> str:
    lines = "\n".join(f"- edit {r.index} (`{r.path}`): {r.why}" for r in refused)
    return (
        "Some of your edits could not be applied to the files as they are:\n\n"
        f"{lines}\n\nAnswer again in the same structured form with the whole corrected set "
        "of edits (all of them, not only the fixed ones). Copy each `search` text exactly "
        "from the files in the context, with enough lines to occur once."
    )


def _tests_reply(outcome: testrun.Outcome) -> str:
    output, _ = redact(outcome.tail[-REPAIR_OUTPUT_CHARS:])
    f = fence(output)
    return (
        f"With your edits applied, the workspace's tests {outcome.status} ({outcome.detail}). "
        f"The end of their output:\n\n{f}\n{output}\n{f}\n\nAnswer again in the same "
        "structured form with the whole corrected set of edits, against the files as they "
        "were before any of your edits."
    )


def _unstructured(text: str) -> str:
    return (
        f"{text.rstrip()}\n\n> **Note**: the model did not answer in the structured form "
        "asked for (edits), so nothing was applied and no worktree was made.\n"
    )


def render(
    params: dict[str, Any],
    p: Proposal,
    tree: worktree.Worktree,
    settings: Settings,
    root: Path,
) -> str:
    """The artifact's body."""
    rel = tree.path.relative_to(root).as_posix()
    out = [
        f"# Proposed change: {' '.join(params['goal'].split())}",
        "",
        p.rationale or "(no rationale given)",
        "",
        "## The patch",
        "",
        f"On branch `{tree.branch}` in `{rel}`, from `{tree.base[:12]}`; your working tree "
        "is untouched until you apply it.",
        "",
    ]
    out += _diff_sections(p.diff) if p.diff.strip() else ["No file was changed.", ""]
    out += ["## Tests", ""]
    if p.tests is None:
        why = (
            "no test command is configured (setting `testCommand`)"
            if not settings.test_command
            else "nothing was changed"
        )
        out += [f"**Not run**: {why}.", ""]
    else:
        out += [f"**{p.tests.status.capitalize()}**: `{settings.test_command}` — {p.tests.detail}."]
        if p.tests.tail:
            tail, _ = redact(p.tests.tail)
            f = fence(tail)
            out += ["", f"{f}text", tail, f]
        if p.tests.log is not None:
            out += ["", f"Full log: `{p.tests.log.name}` beside this artifact."]
        out.append("")
    if p.repairs:
        out += ["## Repair rounds", "", *[f"- {why}" for why in p.repairs], ""]
    if p.refused:
        out += ["## Could not be applied", ""]
        out += [f"- edit {r.index} (`{r.path}`): {r.why}" for r in p.refused]
        out.append("")
    out += ["## What a reviewer should check", ""]
    out += [f"- {n}" for n in p.notes] or ["- (the model gave no notes)"]
    return "\n".join(out).rstrip() + "\n"


def _diff_sections(diff: str) -> list[str]:
    """The diff as one fenced block per file."""
    out: list[str] = []
    for chunk in ("\n" + diff).split("\ndiff --git ")[1:]:
        text = "diff --git " + chunk.rstrip("\n")
        header = text.splitlines()[0]
        name = header.split(" b/", 1)[-1] if " b/" in header else header
        f = fence(text)
        out += [f"### `{name}`", "", f"{f}diff", text, f, ""]
    return out


@dataclass(frozen=True)
class Pending:
    """A proposed change not applied or discarded yet."""

    task_id: str
    worktree: Path
    branch: str
    base: str
    edits: list[edit_rules.Edit]


def pending(root: Path, task_id: str) -> Pending:
    """The change `task_id` left to apply; InputError when it was applied or discarded."""
    from cowork.errors import InputError

    try:
        data = json.loads(state_file(root, task_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or not worktree.folder(root, task_id).is_dir():
        raise InputError(
            f"the change of task {task_id} is no longer pending (applied, discarded, or "
            "removed after worktreeRetentionDays)"
        )
    return Pending(
        task_id=task_id,
        worktree=Path(data["worktree"]),
        branch=str(data["branch"]),
        base=str(data["base"]),
        edits=[edit_rules.Edit(**e) for e in data.get("edits") or []],
    )


def discard(root: Path, task_id: str) -> bool:
    """Remove the worktree, branch and state of `task_id`'s change (and end a test run a
    killed server left in it); whether it had one."""
    testrun.kill_leftover(_pidfile(root, task_id), worktree.folder(root, task_id))
    had = worktree.remove(root, task_id)
    try:
        state_file(root, task_id).unlink()
    except FileNotFoundError:
        return had
    return True


def remove_stale(root: Path, days: int) -> list[str]:
    """Changes whose worktree is older than `days`: removed, with their state."""
    gone = worktree.remove_stale(root, days)
    for task_id in gone:
        discard(root, task_id)
    return gone
