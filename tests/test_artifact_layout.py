"""An artifact opens on its answer: a short front matter (`status` and what the task
was), the answer, and the provenance at the end in a collapsed block that programs
read (`read_provenance`), as they still read artifacts of earlier versions, whose
front matter held it all."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml
from lsprotocol import types

from conftest import Session, artifact_of, start_session, stop_session
from cowork.artifacts import PROVENANCE, parse_provenance, read_provenance, stale

FENCE = re.compile(r"^(`{3,})yaml\n(.*?)^\1$", re.S | re.M)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parts(text: str) -> tuple[dict[str, object], str, str]:
    """(the front matter, the answer, the provenance block) of an artifact's text."""
    match = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    assert match, text[:200]
    front = yaml.safe_load(match.group(1))
    start = text.rindex(PROVENANCE)
    return front, text[match.end() : start], text[start:]


async def test_the_artifact_opens_on_the_answer_with_provenance_at_the_end(
    session: Session, repo: Path
) -> None:
    engine = repo / "pkg/engine.py"
    answer = await session.command("cowork.summarizeModule", {"uri": engine.as_uri()})
    done = await session.wait_for(answer["taskId"], "done", "failed")
    artifact = artifact_of(done)
    text = artifact.read_text()

    front, body, block = parts(text)
    assert front == {
        "cowork": 2,
        "status": "draft",
        "taskId": done["taskId"],
        "kind": "summarize",
        "title": "Summary of pkg/engine.py",
    }
    # The first screen is the answer: its heading within the first dozen lines.
    heading = next(n for n, line in enumerate(text.splitlines()) if line.startswith("# "))
    assert heading < 12 and text.splitlines()[heading] == "# Summary: `pkg/engine.py`"
    assert "sha256" not in body and "inputTokens" not in body
    # The provenance, collapsed, ends the document; its record is YAML programs read.
    assert text.rstrip().endswith("</details>")
    (fence,) = FENCE.findall(block)
    record = yaml.safe_load(fence[1])
    files = {f["path"]: f["sha256"] for f in record["context"]["files"]}
    assert files["pkg/engine.py"] == sha256(engine)
    assert record["taskId"] == done["taskId"] and record["provider"] == "offline"
    assert record["usage"]["outputTokens"] == 0 and "status" not in record

    provenance = read_provenance(artifact)
    assert (
        provenance["status"] == "draft"
        and provenance["context"]["files"] == (record["context"]["files"])
    )
    assert stale(artifact) == ""
    engine.write_text(engine.read_text() + "\n# later\n")
    assert stale(artifact).startswith("Stale: 1 of the ")


async def test_a_review_opens_on_its_findings(tmp_path: Path) -> None:
    from test_findings import shop

    root = shop(tmp_path)
    session = await start_session(root)
    try:
        answer = await session.command("cowork.reviewChanges", {"base": "main"})
        done = await session.wait_for(answer["taskId"], "done", "failed")
    finally:
        await stop_session(session)
    lines = artifact_of(done).read_text().splitlines()
    assert lines.index("# Review: this branch's changes") < 12
    observations = lines.index("## Observations")
    assert observations < lines.index(PROVENANCE)
    assert "Remove the debugger breakpoint" in "\n".join(lines[observations:])


# An artifact as versions before the Provenance block wrote it: everything in front.
OLD = """---
cowork: 1
status: draft
taskId: 0123456789ab
kind: summarize
title: Summary of pkg/util.py
provider: offline
model: cowork-offline
createdAt: '2026-01-02T03:04:05.000Z'
finishedAt: '2026-01-02T03:04:06.000Z'
context:
  files:
  - path: pkg/util.py
    sha256: {sha}
    bytes: 91
  tokens: 100
  budget: 60000
usage: null
---

# Summary: `pkg/util.py`

Small helpers.

---

<details><summary>What this draft was built from</summary>

- **Task** `0123456789ab` (summarize), offline / cowork-offline

</details>
"""


async def test_an_artifact_of_an_earlier_version_is_still_read(
    session: Session, repo: Path
) -> None:
    util = repo / "pkg/util.py"
    old = repo / ".cowork" / "artifacts" / "20260102-030405-summarize-summary-of-pkg-util-py.md"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text(OLD.replace("{sha}", sha256(util)))

    provenance = read_provenance(old)
    assert provenance["taskId"] == "0123456789ab" and provenance["status"] == "draft"
    assert provenance["context"]["files"][0]["path"] == "pkg/util.py"
    assert stale(old) == ""

    util.write_text(util.read_text() + "\n# changed\n")
    uri = old.as_uri()
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "markdown", 1, old.read_text()))
    )
    shown = await session.wait_until(
        lambda: [d for d in session.client.diagnostics.get(uri, []) if d.code == "stale"],
        "the old artifact reported stale",
    )
    assert "pkg/util.py (changed)" in shown[0].message


def test_the_record_is_the_last_provenance_block_whatever_the_answer_quotes() -> None:
    """An answer may quote a Provenance block (a summary of cowork's own artifacts):
    the record is the one that ends the document."""
    quoted = f"{PROVENANCE}\n\n```yaml\ntaskId: quoted\nmodel: nobody\n```\n\n</details>\n"
    text = (
        "---\ncowork: 2\nstatus: reviewed\ntaskId: real\n---\n\n# Answer\n\n"
        f"{quoted}\nMore answer.\n\n---\n\n{PROVENANCE}\n\n"
        "````yaml\ntaskId: real\nmodel: m\nbrief:\n  goal: |-\n    ```\n    code\n    ```\n````\n\n"
        "</details>\n"
    )
    provenance = parse_provenance(text)
    assert provenance["model"] == "m" and provenance["status"] == "reviewed"
    assert provenance["brief"]["goal"] == "```\ncode\n```"
