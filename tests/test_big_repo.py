"""Limits: an architecture brief of two services in a repository of 100,000 files, 90,000
of them vendored (bigrepo.py) with a vendored folder that is a symbolic link: the task
completes, provenance lists the vendored code by folder with the reason, and nothing
vendored is outlined or sent (the bytes the real Anthropic SDK sends to the local fake)."""

from __future__ import annotations

import os
from pathlib import Path

from bigrepo import VENDORED_GO, VENDORED_NAME, big_repo
from conftest import server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from fakeapi import FakeAnthropic
from repos import write
from test_integration_points import _texts

KEY = "sk-ant-test-bigrepo-0123456789abcdef"
GIVEN = ["src/cart", "src/web"]


async def test_a_repository_of_100000_files_mostly_vendored(tmp_path: Path) -> None:
    root = big_repo(tmp_path / "big")
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere, {"dep/dep.go": VENDORED_GO})
    os.symlink(elsewhere, root / "src" / "cart" / "vendor")
    with FakeAnthropic(text="## Services\n\nA draft.\n") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env, init_options={"provider": "anthropic"})
        try:
            answer = await session.command(
                "cowork.architectureBrief", {"uris": [(root / s).as_uri() for s in GIVEN]}
            )
            done = await session.wait_for(answer["taskId"], "done", "failed")
        finally:
            await stop_session(session)
    assert done["state"] == "done", done["error"]
    (request,) = [r for r in api.requests if r.route == "/v1/messages"]
    text = "\n".join(_texts(request.json))
    # The services' own code and how they talk is there; nothing vendored is.
    assert "`src/web` → `src/cart`: gRPC `CartService.GetCart`" in text
    assert "function show(req, res)" in text
    assert VENDORED_NAME not in text and "node_modules" not in text
    # Callers are looked for outside the given paths up to a cap, which is said.
    assert "5,997 more code files outside the given paths were not scanned" in text
    context = read_provenance(Path(done["artifactUri"].removeprefix("file://")))["context"]
    excluded = {e["path"]: e["reason"] for e in context["excluded"]}
    # By folder with the reason and a count, not 90,000 lines.
    assert excluded["vendor/"] == "vendored (vendor/): 60,000 files"
    assert excluded["src/web/node_modules/"] == "vendored (node_modules/): 30,000 files"
    assert len(excluded) < 10
    files = {f["path"] for f in context["files"]}
    assert not [f for f in files if "vendor" in f or "node_modules" in f]
    assert (
        "src/cart/vendor/ is a symbolic link to a folder: vendored code, not followed or read"
        in context["notes"]
    )
