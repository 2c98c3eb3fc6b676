"""Questions an architecture review should raise, from the integration facts alone:
what the offline brief can say where a model would weigh the design."""

from __future__ import annotations

from cowork.context.integration import Integration, key

_MAX_QUESTIONS = 12
_PROTOCOL_WORDS = ("gRPC", "HTTP", "GraphQL")


def questions(wired: Integration, given: set[str]) -> list[str]:
    """Bullets: a protocol called but served by none of the files read; a contract kept
    in several copies; a caller that reaches one service by two protocols at once."""
    out: list[str] = []
    for p in wired.protocols:
        known_as = key(p)
        called = wired.called_by.get(known_as, [])
        if called and not wired.served_by.get(known_as):
            out.append(
                f"{p.kind} `{p.service}` is called (`{called[0]}`) but no file read serves "
                "it: which service owns it, and is it part of this review?"
            )
        copies = wired.copies.get(known_as, [])
        if copies:
            out.append(
                f"`{p.service}` is defined in {len(copies) + 1} copies (`{p.path}`, "
                f"`{copies[0]}`…): how are they kept in step?"
            )
    by_pair: dict[tuple[str, str], dict[str, str]] = {}
    for c in wired.connections:
        word = next((w for w in _PROTOCOL_WORDS if c.how.startswith(w)), None)
        if word is not None and (c.source in given or c.target in given):
            by_pair.setdefault((c.source, c.target), {}).setdefault(word, c.evidence)
    for (source, target), ways in sorted(by_pair.items()):
        if len(ways) > 1:
            shown = ", ".join(f"{w} (`{at}`)" for w, at in ways.items())
            out.append(
                f"`{source}` reaches `{target}` by {shown}: which one is in use, "
                "and can the other go?"
            )
    more = len(out) - _MAX_QUESTIONS
    return [f"- {q}" for q in out[:_MAX_QUESTIONS]] + (
        [f"- … and {more} more like these"] if more > 0 else []
    )
