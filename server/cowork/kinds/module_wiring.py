"""What one module serves and calls over the wire, for its summary: the gRPC services
it registers or implements, the clients it creates, the HTTP routes it declares and
requests, the addresses it reads and the servers it starts (`context.wiring`)."""

from __future__ import annotations

import functools

from cowork.context import graphql, wiring

_MAX_SITES = 40  # a module with more lists the first ones and a count

_SAID = {
    wiring.STARTS: "starts {name}",
    wiring.SERVES: "serves gRPC `{name}`",
    wiring.CALLS: "creates a gRPC client of `{name}`",
    wiring.ROUTE: "declares HTTP `{name}`",
    wiring.REQUEST: "requests HTTP `{name}`{host}",
    wiring.ENV: "reads the address `{name}`",
    graphql.SERVES: "resolves GraphQL `{name}`",
    graphql.CALLS: "calls GraphQL `{name}`",
    graphql.DEFINES: "defines GraphQL `{name}`",
    graphql.ENDPOINT: "requests a GraphQL endpoint{host}",
}
_ORDER = list(_SAID)


def sites(rel: str, language: str | None, text: str) -> list[wiring.Site]:
    """The module's integration sites, what it starts and serves first."""
    return list(_sites(rel, language, text))


# A summary of a module summarised minutes ago scans the same text again: dozens of
# patterns over a 10,000-line module is tens of ms. Keyed by the text itself.
@functools.lru_cache(maxsize=32)
def _sites(rel: str, language: str | None, text: str) -> tuple[wiring.Site, ...]:
    found = wiring.scan(rel, language, text) + graphql.scan(rel, language, text)
    return tuple(
        sorted((s for s in found if s.role in _SAID), key=lambda s: (_ORDER.index(s.role), s.line))
    )


def lines(rel: str, found: list[wiring.Site]) -> list[str]:
    """One Markdown bullet per site, with its `path:line`."""
    out = []
    for s in found[:_MAX_SITES]:
        host = (
            f" of `{s.detail}`" if s.role in (wiring.REQUEST, graphql.ENDPOINT) and s.detail else ""
        )
        what = _SAID[s.role].format(name=s.name, host=host)
        if s.role == wiring.SERVES and s.detail == "implements":
            what = f"implements gRPC `{s.name}`"
        out.append(f"- {what} (`{rel}:{s.line}`)")
    if len(found) > _MAX_SITES:
        out.append(f"- … and {len(found) - _MAX_SITES} more")
    return out


def role_sentence(found: list[wiring.Site]) -> str | None:
    """A line on the module's part in the system when the wiring says it, e.g. "Starts
    a gRPC server; serves gRPC `CheckoutService`, `Health`." None when it says nothing."""
    starts = sorted({s.name for s in found if s.role == wiring.STARTS})
    serves = sorted({s.name for s in found if s.role == wiring.SERVES})
    routes = sum(1 for s in found if s.role == wiring.ROUTE)
    calls = sorted({s.name for s in found if s.role == wiring.CALLS})
    resolves = sorted({s.name for s in found if s.role == graphql.SERVES})
    parts = []
    if starts:
        parts.append("starts " + ", ".join(f"a {name}" for name in starts))
    if serves:
        parts.append("serves gRPC " + ", ".join(f"`{n}`" for n in serves))
    if routes:
        parts.append(f"declares {routes} HTTP route{'s' if routes > 1 else ''}")
    if resolves:
        shown = ", ".join(f"`{n}`" for n in resolves[:5])
        more = f" and {len(resolves) - 5} more" if len(resolves) > 5 else ""
        parts.append(f"resolves GraphQL {shown}{more}")
    if calls:
        parts.append("calls gRPC " + ", ".join(f"`{n}`" for n in calls))
    if not parts:
        return None
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."
