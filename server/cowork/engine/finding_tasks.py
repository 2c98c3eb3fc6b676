"""Review findings as the engine keeps them: the latest review's, a finding by id,
dismissing one (by its lines' text, so it stays dismissed wherever they move), and
what a new review is told of the dismissed ones. A part of `TaskEngine`."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from cowork.brief import Brief
from cowork.engine import provenance as prov
from cowork.engine.core import EngineCore, now
from cowork.engine.model import StoredFinding
from cowork.engine.store import Store, state_db
from cowork.errors import InputError
from cowork.kinds.anchors import anchored_fingerprint
from cowork.kinds.findings import Finding, fingerprint


class FindingTasks(EngineCore):
    """The findings part of `TaskEngine`."""

    async def findings(self, root: Path) -> list[StoredFinding]:
        """The findings of `root`'s latest finished review, dismissed ones included
        (read from the database: no need to wait for past tasks to load)."""
        store = await self._store(root)
        return await self._db(store.current_findings)

    async def finding(self, finding_id: str) -> StoredFinding:
        """The finding with that id in any open workspace; InputError when none has it."""
        await self._loaded.wait()
        for store in list(self._stores.values()):
            found = await self._db(store.finding, finding_id)
            if found is not None:
                return found
        raise InputError(f"no finding with id {finding_id!r}")

    async def dismiss_finding(self, finding_id: str) -> StoredFinding:
        """Mark a finding dismissed (kept in the database, no longer shown)."""
        await self._loaded.wait()
        for root, store in list(self._stores.items()):
            found = await self._db(store.finding, finding_id)
            if found is not None:
                text = await asyncio.to_thread(prov.text_of, root / found.finding.path)
                mark = anchored_fingerprint(found.finding, found.anchor, text)
                await self._db(store.dismiss, finding_id, mark, now())
                found.dismissed = True
                self._emit_findings(root)
                return found
        raise InputError(f"no finding with id {finding_id!r}")

    async def _not_dismissed(self, store: Store, root: Path, found: list[Finding]) -> list[Finding]:
        """`found` without the findings a person dismissed in an earlier review (same
        file, category and lines' text, wherever the lines moved)."""
        gone = {row[0] for row in await self._db(store.dismissed)}
        if not gone or not found:
            return found

        def keep() -> list[Finding]:
            texts = {p: prov.text_of(root / p) for p in {f.path for f in found}}
            return [f for f in found if fingerprint(f, texts[f.path]) not in gone]

        return await asyncio.to_thread(keep)

    async def _with_dismissed(self, brief: Brief, root: Path) -> Brief:
        """A review's brief tells the model which findings were dismissed already."""
        if not state_db(root).exists():
            return brief
        store = await self._store(root)
        rows = await self._db(store.dismissed)
        if not rows:
            return brief
        listed = "\n".join(
            f"- `{path}` ({category}): {message}" for _, path, category, message in rows[-50:]
        )
        said = (
            f"{brief.out_of_scope.rstrip()}\n\nFindings a person already considered and "
            f"dismissed: do not raise them again.\n{listed}"
        )
        return dataclasses.replace(brief, out_of_scope=said)
