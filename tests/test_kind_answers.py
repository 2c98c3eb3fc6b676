"""A prompt and an answer shape per kind: each of summarize, architecture, review,
docs and research asks a model with its own system prompt and the JSON schema of its
answer, and renders the structured answer into its own Markdown sections. An answer
that ignores the schema is kept with a note; a review finding with a category or
confidence outside the lists is kept, read as maintainability / medium, and noted.

The real server over stdio, the real anthropic and openai SDKs, and the local
protocol servers scripted with each kind's answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lsprotocol import types

from conftest import Session, artifact_of, server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from fakeapi import FakeAnthropic, FakeOpenAI, Recorded, Reply
from repos import commit, git, sample_repo
from test_prefix_plan import bulk

KEY = "sk-ant-test-kind-answers-0123456789"
OPENAI_KEY = "sk-test-kind-answers-openai-0123456789"

SUMMARY = {
    "responsibility": "Runs jobs in order and remembers what happened.",
    "public_api": [
        {"name": "Engine", "where": "pkg/engine.py:10", "purpose": "Queues jobs to run."},
        {"name": "run_all", "where": "pkg/engine.py:20", "purpose": "Submits every job."},
    ],
    "collaborators": {
        "imports": [
            {"name": "pkg.util", "where": "pkg/engine.py:8", "why": "Counts a job's size."}
        ],
        "importers": [{"name": "pkg/cli.py", "where": "pkg/cli.py:1", "why": "Its entry point."}],
    },
    "tests": {"how": "`tests/test_engine.py` submits one job.", "untested": ["`run_all`"]},
    "risks": ["`undocumented` mixes JSON and paths (`pkg/engine.py:25`)."],
    "open_questions": ["Should a failed job stop the others?"],
}
ARCHITECTURE = {
    "overview": "A command line drives the engine.",
    "services": [
        {
            "name": "pkg",
            "responsibility": "The job engine and its command line.",
            "entry_points": ["`pkg/cli.py:4` main"],
            "owns": ["the job queue"],
        },
        {
            "name": "tests",
            "responsibility": "Checks the engine.",
            "entry_points": [],
            "owns": [],
        },
    ],
    "integration_points": [
        {
            "from": "tests",
            "to": "pkg",
            "how": "a Python import",
            "evidence": ["tests/test_engine.py:1"],
        }
    ],
    "concerns": [
        {
            "pattern": "No test reaches the command line",
            "why": "A broken `main` would ship.",
            "files": ["pkg/cli.py", "tests/test_engine.py"],
        }
    ],
    "questions": ["Who owns the job queue's format?"],
}
REVIEW = {
    "summary": "Adds a `log` helper that prints.",
    "findings": [
        {
            "path": "pkg/util.py",
            "line": 10,
            "end_line": None,
            "severity": "warning",
            "category": "style-ish",  # not one of the categories
            "confidence": "certainly",  # not one of the confidences
            "message": "Use logging instead of print",
            "detail": "",
            "suggestion": None,
        },
        {
            "path": "pkg/util.py",
            "line": 9,
            "end_line": None,
            "severity": "information",
            "category": "Tests",
            "confidence": "high",
            "message": "Add a test for log",
            "detail": "",
            "suggestion": None,
        },
    ],
}
DOCS = {
    "decision_record": {
        "context": "Jobs failed silently.",
        "decision": "Log every submitted job.",
        "alternatives": [{"option": "Structured logging", "why_not": "Planned next."}],
        "consequences": ["Output goes to stdout."],
    },
    "api_changes": [
        {
            "name": "log",
            "before": "",
            "after": "log(x)",
            "where": "pkg/util.py:9",
            "note": "New helper.",
        }
    ],
    "operations": {
        "configuration": [],
        "migrations": [],
        "rollout": ["Ship with the next release."],
        "monitoring": ["Watch stdout volume."],
    },
    "author_must_add": ["Why print rather than logging."],
}
RESEARCH = {
    "question": "Should jobs run in threads or processes?",
    "criteria": [
        {"name": "Isolation", "why": "A job can crash (`pkg/engine.py:14`)."},
        {"name": "Start-up cost", "why": "Jobs are small."},
    ],
    "options": [
        {
            "name": "threads",
            "generated": False,
            "summary": "Run each job on a thread pool.",
            "assessments": [
                {
                    "criterion": "Isolation",
                    "assessment": "None: one crash takes all.",
                    "evidence": [],
                },
                {
                    "criterion": "Start-up cost",
                    "assessment": "Cheap.",
                    "evidence": ["pkg/engine.py:20"],
                },
            ],
            "risks": ["The GIL limits CPU-bound jobs."],
            "unknowns": ["Whether jobs are CPU-bound."],
        },
        {
            "name": "keep running them inline",
            "generated": True,
            "summary": "Change nothing.",
            "assessments": [
                {"criterion": "Isolation", "assessment": "None.", "evidence": []},
            ],
            "risks": [],
            "unknowns": [],
        },
    ],
    "prototype": ["Time 1,000 small jobs each way."],
}


def feature_branch(root: Path) -> Path:
    sample_repo(root)
    git(root, "checkout", "-q", "-b", "feature")
    util = (root / "pkg/util.py").read_text()
    commit(
        root, "Log every submitted job", {"pkg/util.py": util + "\n\ndef log(x):\n    print(x)\n"}
    )
    return root


async def run(session: Session, command: str, arg: dict[str, Any]) -> dict[str, Any]:
    started = await session.command(command, arg)
    done = await session.wait_for(started["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    return done


def body_of(done: dict[str, Any]) -> str:
    """The artifact without its front matter and provenance."""
    text = artifact_of(done).read_text()
    return text.split("\n---\n", 1)[1].split("<details><summary>Provenance", 1)[0]


def sent_system(request: Recorded) -> str:
    return "".join(block["text"] for block in request.json["system"])


def sent_schema(request: Recorded) -> dict[str, Any]:
    schema = request.json["output_config"]["format"]
    assert schema["type"] == "json_schema"
    return dict(schema["schema"])


def in_order(text: str, *parts: str) -> bool:
    """Whether every part occurs in `text`, in this order."""
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return False
    return True


async def test_each_kind_asks_with_its_own_prompt_and_schema_and_renders_its_sections(
    tmp_path: Path,
) -> None:
    root = feature_branch(tmp_path / "repo")
    util = root / "pkg/util.py"
    with FakeAnthropic() as api:
        api.script(*(Reply(json=a) for a in (SUMMARY, ARCHITECTURE, REVIEW, DOCS, RESEARCH)))
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env)
        try:
            summary = await run(
                session, "cowork.summarizeModule", {"uri": (root / "pkg/engine.py").as_uri()}
            )
            architecture = await run(
                session,
                "cowork.architectureBrief",
                {"uris": [(root / "pkg").as_uri(), (root / "tests").as_uri()]},
            )
            review = await run(session, "cowork.reviewChanges", {"base": "main"})
            shown = await session.wait_until(
                lambda: (
                    len(session.client.diagnostics.get(util.as_uri(), [])) == 2
                    and session.client.diagnostics[util.as_uri()]
                ),
                "the review's two findings as diagnostics",
            )
            docs = await run(session, "cowork.draftDocs", {"base": "main"})
            research = await run(
                session,
                "cowork.research",
                {"question": "Should jobs run in threads or processes?", "options": ["threads"]},
            )
        finally:
            await stop_session(session)

    sent = api.requests_to("/v1/messages")
    assert len(sent) == 5
    systems = [sent_system(r) for r in sent]
    # Each kind its own system prompt: what a diligent colleague does for that hand-off,
    # and what is out of scope.
    assert len(set(systems)) == 5
    for system, said in zip(
        systems,
        (
            "explain one module to an engineer who is about to change it",
            "prepare the developer for an architecture review",
            "Never give a verdict",
            "draft the documentation of a change just finished",
            "Do not make the decision",
        ),
        strict=True,
    ):
        assert said in " ".join(system.split()) and "Out of scope" in system
    # And the JSON schema of its answer.
    shapes = [set(sent_schema(r)["properties"]) for r in sent]
    assert shapes == [
        set(SUMMARY),
        set(ARCHITECTURE),
        {"summary", "findings"},
        set(DOCS),
        set(RESEARCH),
    ]
    finding = sent_schema(sent[2])["$defs"]["_FindingOut"]["properties"]
    assert finding["category"]["enum"] == [
        "correctness",
        "security",
        "performance",
        "concurrency",
        "api",
        "tests",
        "maintainability",
    ]
    assert finding["confidence"]["enum"] == ["high", "medium", "low"]
    assert "verdict" not in json.dumps(sent_schema(sent[2])["properties"]).replace("No verdict", "")

    text = body_of(summary)
    # the task's title heads a rendered answer, as it heads an offline report
    assert text.lstrip().startswith(f"# {summary['title']}\n\n## Responsibility"), text[:200]
    assert in_order(
        text,
        "## Responsibility\n\nRuns jobs in order and remembers what happened.",
        "## Public API\n\n- `Engine` (`pkg/engine.py:10`) — Queues jobs to run.",
        "## Collaborators",
        "### Imports\n\n- `pkg.util` (`pkg/engine.py:8`) — Counts a job's size.",
        "### Imported by\n\n- `pkg/cli.py` (`pkg/cli.py:1`) — Its entry point.",
        "## Tests\n\n`tests/test_engine.py` submits one job.",
        "Not covered:\n\n- `run_all`",
        "## Risks\n\n- `undocumented` mixes JSON and paths",
        "## Open questions\n\n- Should a failed job stop the others?",
    ), text
    assert '"responsibility"' not in text  # rendered, not the raw JSON

    text = body_of(architecture)
    assert in_order(
        text,
        "A command line drives the engine.",
        "## `pkg`\n\nThe job engine and its command line.",
        "Entry points:\n\n- `pkg/cli.py:4` main",
        "Owns:\n\n- the job queue",
        "## `tests`",
        "Entry points:\n\nNone found.",
        "## Integration points",
        "| from | to | how | evidence |",
        "| `tests` | `pkg` | a Python import | `tests/test_engine.py:1` |",
        "## Concerns",
        "- **No test reaches the command line**: A broken `main` would ship. (seen in "
        "`pkg/cli.py`, `tests/test_engine.py`)",
        "## Questions for the review\n\n- Who owns the job queue's format?",
    ), text

    # The review: its overall read, the findings with their category; the unknown
    # category and confidence are kept, read as maintainability / medium, and noted.
    text = body_of(review)
    assert in_order(
        text,
        "## Overall read\n\nAdds a `log` helper that prints.",
        "## Findings",
        "- **warning** (medium confidence) `pkg/util.py:10`: Use logging instead of print"
        " — *maintainability*",
        "- **information** `pkg/util.py:9`: Add a test for log — *tests*",
        "> **Note**: the answer did not quite follow the form asked for",
        "> - the finding at `pkg/util.py:10`: category 'style-ish' is not one of "
        "correctness, security, performance, concurrency, api, tests, maintainability; "
        "read as `maintainability`",
        "> - the finding at `pkg/util.py:10`: confidence 'certainly' is not one of high, "
        "medium, low; read as `medium`",
    ), text
    by_line = {d.range.start.line + 1: d for d in shown}
    assert by_line[10].code == "maintainability" and by_line[9].code == "tests"
    assert by_line[10].severity == types.DiagnosticSeverity.Warning

    text = body_of(docs)
    assert in_order(
        text,
        "## Context\n\nJobs failed silently.",
        "## Decision\n\nLog every submitted job.",
        "## Alternatives considered\n\n- **Structured logging**: Planned next.",
        "## Consequences\n\n- Output goes to stdout.",
        "## Public API before/after",
        "| log | — | `log(x)` | `pkg/util.py:9` | New helper. |",
        "## Operational considerations",
        "### Configuration\n\nNone.",
        "### Rollout\n\n- Ship with the next release.",
        "### Monitoring\n\n- Watch stdout volume.",
        "## What the author must still add\n\n- Why print rather than logging.",
    ), text

    text = body_of(research)
    assert in_order(
        text,
        "**Question:** Should jobs run in threads or processes?",
        "## Criteria\n\n- **Isolation**: A job can crash (`pkg/engine.py:14`).",
        "## Options",
        "### threads\n\nRun each job on a thread pool.",
        "| Isolation | None: one crash takes all. | — |",
        "| Start-up cost | Cheap. | `pkg/engine.py:20` |",
        "Risks:\n\n- The GIL limits CPU-bound jobs.",
        "Unknowns:\n\n- Whether jobs are CPU-bound.",
        "### keep running them inline *(proposed: none was given)*",
        "## Trade-offs",
        "| option | Isolation | Start-up cost |",
        "| threads | None: one crash takes all. | Cheap. |",
        "| keep running them inline | None. | ? |",
        "## What to prototype to decide\n\n- Time 1,000 small jobs each way.",
        "No option is chosen here: the decision is yours.",
    ), text


async def test_an_answer_that_ignores_the_schema_is_kept_with_a_note(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    prose = "## My own headings\n\nThe engine runs jobs; see `pkg/engine.py:20`.\n"
    fenced = "```json\n" + json.dumps(RESEARCH) + "\n```\n"
    with FakeAnthropic() as api:
        other = {"services": ["pkg", "tests"], "open_questions": ["Who owns the queue?"]}
        api.script(Reply(text=prose), Reply(text=prose), Reply(text=fenced), Reply(json=other))
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env)
        try:
            summary = await run(
                session, "cowork.summarizeModule", {"uri": (root / "pkg/engine.py").as_uri()}
            )
            docs = await run(session, "cowork.draftDocs", {"base": "main"})
            research = await run(session, "cowork.research", {"question": "Threads or processes?"})
            architecture = await run(
                session, "cowork.architectureBrief", {"uris": [(root / "pkg").as_uri()]}
            )
        finally:
            await stop_session(session)
    for done in (summary, docs):
        text = body_of(done)
        assert prose.strip() in text  # every word kept, as written
        assert (
            "> **Note**: the model did not answer in the structured form asked for; its "
            "answer is kept as written." in text
        )
        assert "## Responsibility" not in text and "## Decision" not in text
    # JSON of a shape of its own: each field readable, as sent, with a note.
    text = body_of(architecture)
    assert in_order(
        text,
        "## Services\n\n- pkg\n- tests",
        "## Open questions\n\n- Who owns the queue?",
        "> **Note**: the model answered in JSON that does not follow the form asked for: "
        "its fields are shown as sent.",
    ), text
    # A document in a code fence is still the structured answer.
    text = body_of(research)
    assert "## Criteria" in text and "```json" not in text and "structured form" not in text


async def test_a_structured_summary_cut_by_the_output_limit_is_continued_then_read(
    tmp_path: Path,
) -> None:
    root = feature_branch(tmp_path / "repo")
    document = json.dumps(SUMMARY)
    half = len(document) // 2
    with FakeAnthropic() as api:
        api.script(
            Reply(text=document[:half], stop_reason="max_tokens"),
            Reply(text=document[half:]),
        )
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env)
        try:
            done = await run(
                session, "cowork.summarizeModule", {"uri": (root / "pkg/engine.py").as_uri()}
            )
        finally:
            await stop_session(session)
    first, second = api.requests_to("/v1/messages")
    assert "output_config" in first.json and "output_config" not in second.json
    assert sent_system(first) == sent_system(second)
    text = body_of(done)
    assert "## Responsibility\n\nRuns jobs in order" in text and "## Open questions" in text
    assert "Cut short" not in text and "structured form" not in text


async def test_a_docs_batch_is_asked_for_its_schema_and_rendered(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    with FakeAnthropic(batch_polls=1) as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env, init_options={"batch": "always"})
        try:
            started = await session.command("cowork.draftDocs", {"base": "main"})
            api.batch_results({started["taskId"]: Reply(json=DOCS)})
            done = await session.wait_for(started["taskId"], "done", "failed")
            assert done["state"] == "done", done["error"]
        finally:
            await stop_session(session)
    (create,) = [r for r in api.requests_to("/v1/messages/batches") if r.method == "POST"]
    params = create.json["requests"][0]["params"]
    assert set(params["output_config"]["format"]["schema"]["properties"]) == set(DOCS)
    assert "draft the documentation" in " ".join(sent_text(params["system"]).split())
    text = body_of(done)
    assert "## Decision\n\nLog every submitted job." in text
    assert "## What the author must still add" in text


def sent_text(blocks: list[dict[str, Any]]) -> str:
    return "".join(b["text"] for b in blocks)


async def test_the_openai_provider_asks_for_the_schema_and_the_answer_is_rendered(
    tmp_path: Path,
) -> None:
    root = feature_branch(tmp_path / "repo")
    with FakeOpenAI() as api:
        api.script(Reply(json=RESEARCH))
        env = server_env(
            OPENAI_API_KEY=OPENAI_KEY,
            OPENAI_BASE_URL=api.base_url,
            COWORK_PROVIDER="openai",
            COWORK_MODEL="local-model",
        )
        session = await start_session(root, env=env)
        try:
            done = await run(
                session,
                "cowork.research",
                {"question": "Should jobs run in threads or processes?", "options": ["threads"]},
            )
        finally:
            await stop_session(session)
    (request,) = api.requests_to("/v1/chat/completions")
    body = request.json
    system = body["messages"][0]
    assert system["role"] == "system" and "Do not make the decision" in " ".join(
        system["content"].split()
    )
    wanted = body["response_format"]
    assert wanted["type"] == "json_schema"
    assert set(wanted["json_schema"]["schema"]["properties"]) == set(RESEARCH)
    text = body_of(done)
    assert "### keep running them inline *(proposed: none was given)*" in text
    assert "## What to prototype to decide" in text


async def test_tasks_of_two_kinds_do_not_share_a_cached_prefix(tmp_path: Path) -> None:
    """The cached prefix is the kind's system prompt and the workspace map: an
    architecture brief waiting between two summaries that share a prefix cannot read
    it (its system prompt differs), so the first summary writes for the one other
    summary only, and the brief goes alone."""
    root = sample_repo(tmp_path / "repo")
    areas = {
        f"pkg/area{i:03}.py": "".join(
            f"def handle_{i}_{j}(order):\n    return order + {j}\n\n" for j in range(6)
        )
        for i in range(40)
    }
    commit(root, "Add the areas", areas)
    bulk(root, "pkg/big_a.py", "pkg/big_b.py")
    with FakeAnthropic(text="A draft.") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env, init_options={"maxConcurrentTasks": 1})
        try:
            ids = [
                (await session.command(command, arg))["taskId"]
                for command, arg in (
                    ("cowork.summarizeModule", {"uri": (root / "pkg/big_a.py").as_uri()}),
                    ("cowork.architectureBrief", {"uris": [(root / "pkg").as_uri()]}),
                    ("cowork.summarizeModule", {"uri": (root / "pkg/big_b.py").as_uri()}),
                )
            ]
            records = [await session.wait_for(i, "done", "failed") for i in ids]
        finally:
            await stop_session(session)
    assert [r["state"] for r in records] == ["done"] * 3
    first, brief, second = api.requests_to("/v1/messages")
    assert sent_system(brief) != sent_system(first) == sent_system(second)
    assert "cache_control" in json.dumps(first.json) and "cache_control" in json.dumps(second.json)
    assert "cache_control" not in json.dumps(brief.json)
    write, alone, read = (read_provenance(artifact_of(r))["prefix"] for r in records)
    assert write["cache"] == "write" and read["cache"] == "read"
    assert "1 other summarize task(s) of this workspace waiting" in write["reason"]
    assert alone["sent"] is False
    assert alone["reason"].startswith("a lone task: no other architecture task"), alone
