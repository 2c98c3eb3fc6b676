"""Who calls an RPC a change touches: a changed `rpc` in a `.proto` file is used
through generated clients, which no import graph links to the `.proto`. The
files that construct a client of its service (in any language, `wiring`) and
call the RPC are its callers — and the files that serve it must follow too."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cowork.context import protocols, wiring
from cowork.context.index import language_of
from cowork.context.reader import ContextReader

_RPC_LINE = re.compile(r"^\s*rpc\s+(\w+)\s*\(")
MAX_FILES = 2000  # code files looked at (after the word sieve)


@dataclass(frozen=True)
class RpcUse:
    path: str
    line: int
    name: str  # "CartService.GetCart"
    target: str  # the changed .proto
    role: str  # "calls" | "serves"


def changed_rpcs(path: str, new_text: str | None, changed_lines: Iterable[str]) -> dict[str, str]:
    """rpc name -> its service, for each `rpc` line added or removed in `path`; a
    removed rpc whose service the new version no longer shows maps to ""."""
    names = {m.group(1) for line in changed_lines if (m := _RPC_LINE.match(line[1:]))}
    if not names:
        return {}
    services = protocols.parse_proto(path, new_text or "")[0]
    owner = {op.name: s.service for s in services for op in s.operations}
    return {name: owner.get(name, "") for name in sorted(names)}


def rpc_uses(reader: ContextReader, proto: str, rpcs: dict[str, str]) -> list[RpcUse]:
    """The call and serve sites of `rpcs` (name -> service) across the workspace's code."""
    services = {s for s in rpcs.values() if s}
    words = {w for s in services for w in _words(s)}
    if not words:
        return []
    found: list[RpcUse] = []
    looked = 0
    for rel in reader.inventory:
        language = language_of(rel)
        if language is None or not reader.may_mention(rel, words):
            continue
        looked += 1
        if looked > MAX_FILES:
            break
        reader.check_cancelled()
        text = reader.text(rel)
        if text is None:
            continue
        sites = [s for s in wiring.scan(rel, language, text) if s.name in services]
        for site in sites:
            if site.role == wiring.SERVES:
                for rpc in [r for r, s in rpcs.items() if s == site.name]:
                    # The method that implements it, where this file has one.
                    line = _defined_at(text, rpc) or site.line
                    found.append(RpcUse(rel, line, f"{site.name}.{rpc}", proto, "serves"))
        clients = {s.name for s in sites if s.role == wiring.CALLS}
        for service in sorted(clients):
            wanted = [r for r, s in rpcs.items() if s in (service, "")]
            for rpc, line in wiring.rpc_uses(text, wanted, language):
                found.append(RpcUse(rel, line, f"{service}.{rpc}", proto, "calls"))
    return found


def _defined_at(text: str, rpc: str) -> int | None:
    """The line of a method named as `rpc` (`GetCart`, `getCart`, `get_cart`) in `text`,
    as a definition, not a call (no `.` before it)."""
    spellings = {rpc, rpc[:1].lower() + rpc[1:], re.sub(r"(?<!^)(?=[A-Z])", "_", rpc).lower()}
    m = re.search(r"(?<![.\w])(" + "|".join(map(re.escape, spellings)) + r")\s*\(", text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _words(service: str) -> set[str]:
    """Whole words a file that serves or calls `service` holds, in some language."""
    return {
        service,
        f"New{service}Client",
        f"Register{service}Server",
        f"{service}Stub",
        f"{service}Client",
        f"{service}Server",
        f"{service}Base",
        f"{service}Grpc",
        f"{service}GrpcKt",
        f"add_{service}Servicer_to_server",
    }
