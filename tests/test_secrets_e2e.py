"""Secrets never leave, proven on the bytes that reach the model's server.

The real `cowork serve` with provider `anthropic`, reaching a local fake of the
Messages API through the real SDK, runs every workspace-reading task kind over
a repository with planted secrets (see planted.py). Not one secret value may
appear in any request the fake recorded, and each artifact's provenance says
what was kept back and what was redacted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from fakeapi import FakeAnthropic
from planted import NEVER_SENT, leaks, planted_repo
from repos import git

KEY = "sk-ant-test-0123456789abcdef"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return planted_repo(tmp_path / "shop")


def tasks(root: Path) -> list[tuple[str, dict[str, Any]]]:
    named = [n for n in git(root, "ls-files").splitlines() if not n.startswith("docs/outside")]
    return [
        ("cowork.summarizeModule", {"uri": (root / "api/settings.py").as_uri()}),
        ("cowork.summarizeModule", {"uri": (root / "api/handlers.py").as_uri()}),
        ("cowork.summarizeModule", {"uri": (root / "web/src/client.ts").as_uri()}),
        ("cowork.architectureBrief", {"uris": [root.as_uri()]}),
        (
            "cowork.research",
            {
                "question": "Where should the credentials live?",
                "options": ["a vault", "environment variables"],
                "uris": [(root / n).as_uri() for n in named] + [(root / "docs").as_uri()],
            },
        ),
        ("cowork.reviewChanges", {"base": "main", "description": "Rotate every credential."}),
    ]


async def test_no_secret_reaches_the_model_server(shop: Path) -> None:
    with FakeAnthropic(text="## Summary\n\nA draft.\n") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(shop, env=env, init_options={"provider": "anthropic"})
        try:
            ids = [
                (await session.command(command, argument))["taskId"]
                for command, argument in tasks(shop)
            ]
            records = [await session.wait_for(i, "done", "failed") for i in ids]
        finally:
            await stop_session(session)

    for record in records:
        assert record["state"] == "done", (record["kind"], record["error"])
        assert record["provider"] == "anthropic"
    generated = [r for r in api.requests if r.path == "/v1/messages"]
    assert len(generated) == len(records)  # every task's prompt was sent, and checked here
    for request in api.requests:
        assert not leaks(request.body), (request.path, leaks(request.body))
    # What was sent is the workspace itself, redacted: the check above is not vacuous.
    bodies = b"".join(r.body for r in generated)
    for visible in (b"def client(", b"fetchOrder", b"getOrder", b"Rotate the credentials"):
        assert visible in bodies
    assert b"[REDACTED: AWS secret access key]" in bodies
    assert b"[REDACTED: GitHub token]" in bodies

    provenance = {
        r["kind"] + ":" + r["title"]: read_provenance(
            Path(r["artifactUri"].removeprefix("file://"))
        )
        for r in records
    }
    excluded: dict[str, str] = {}
    redacted: dict[str, str] = {}
    for prov in provenance.values():
        assert prov["provider"] == "anthropic"
        excluded |= {e["path"]: e["reason"] for e in prov["context"]["excluded"]}
        redacted |= {e["path"]: e["what"] for e in prov["context"]["redacted"]}
        files = {f["path"] for f in prov["context"]["files"]}
        assert not files & set(NEVER_SENT), files & set(NEVER_SENT)
    for rel, why in NEVER_SENT.items():
        assert why in excluded.get(rel, ""), (rel, excluded.get(rel))
    assert "AWS access key id" in redacted["api/settings.py"]
    assert "AWS secret access key" in redacted["api/settings.py"]
    assert "secret assignment" in redacted["config.yaml"]
    assert "GitHub token" in redacted["web/src/client.ts"]
    # The artifacts themselves (kept on this machine) do not repeat the secrets either.
    for record in records:
        artifact = Path(record["artifactUri"].removeprefix("file://")).read_text()
        assert not leaks(artifact), (record["kind"], leaks(artifact))
