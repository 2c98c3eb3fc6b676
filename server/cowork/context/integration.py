"""Integration points between services: which protocols exist, which files serve and
call each, and the edges between services they make — from code (gRPC, HTTP,
address variables) and from deployment manifests (docker-compose, Kubernetes).

Each edge says *from → to, how, evidence `path:line`*. Blocking (reads files):
runs where the gathering runs, in a worker, never on the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from cowork.context import graphql as gq
from cowork.context import manifests as mf
from cowork.context import protocols as pr
from cowork.context import wiring as wr
from cowork.context.servicenames import ADDRESS_SUFFIX as _ADDRESS_SUFFIX
from cowork.context.servicenames import ServiceNames as _Names
from cowork.context.servicenames import route_match as _route_match

_MAX_LISTED = 6  # files named per "served by" / "called by"
_MAX_OUTSIDE = 10  # edges listed from callers outside the given paths; the rest counted


@dataclass(frozen=True)
class Connection:
    source: str
    target: str
    how: str  # "gRPC `CartService.GetCart`", "HTTP `GET /api/cart`", "env `CART_SERVICE_ADDR`"
    evidence: str  # path:line

    def line(self) -> str:
        return f"`{self.source}` → `{self.target}`: {self.how} (`{self.evidence}`)"


@dataclass
class Integration:
    protocols: list[pr.ProtocolDef] = field(default_factory=list)
    served_by: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # evidence
    called_by: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    connections: list[Connection] = field(default_factory=list)
    starts: dict[str, list[str]] = field(default_factory=dict)  # file -> what it starts
    deployment: list[str] = field(default_factory=list)  # Kubernetes Services and ports
    notes: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # generated: (path, why)
    copies: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # same service
    elsewhere: int = 0  # edges between services none of the given paths is
    # Edges from code outside the given paths into them: the most used first, the
    # rest counted (edges, files).
    outside: list[Connection] = field(default_factory=list)
    outside_more: tuple[int, int] = (0, 0)
    outside_unscanned: int = 0  # code files outside the given paths not scanned (the cap)
    routes: dict[str, list[str]] = field(default_factory=dict)  # service -> "GET /x (`p:l`)"

    def render(self) -> list[str]:
        """The report's lines (Markdown), also the compact piece sent to a model."""
        out: list[str] = []
        if self.protocols:
            out += ["### Protocols", ""]
            for p in self.protocols:
                known_as = key(p)
                ops = ", ".join(o.name for o in p.operations[:12])
                more = f" … +{len(p.operations) - 12}" if len(p.operations) > 12 else ""
                copies = self.copies.get(known_as, [])
                out.append(
                    f"- {p.kind} `{p.service}` (`{p.path}:{p.line}`"
                    + (f"; also defined in {_listed(copies)}" if copies else "")
                    + ")"
                    + (f": {ops}{more}" if ops else "")
                )
                served = list(dict.fromkeys(self.served_by.get(known_as, [])))
                called = list(dict.fromkeys(self.called_by.get(known_as, [])))
                out.append("  - served by: " + (_listed(served) or "none found in the files read"))
                out.append("  - called by: " + (_listed(called) or "none found in the files read"))
            out.append("")
        out += ["### Connections between services", ""]
        grouped: dict[tuple[str, str, str], list[str]] = {}
        for c in self.connections:
            grouped.setdefault((c.source, c.target, c.how), []).append(c.evidence)
        out += [
            f"- `{source}` → `{target}`: {how} (`{where[0]}`"
            + (f"; also {_listed(where[1:])}" if len(where) > 1 else "")
            + ")"
            for (source, target, how), where in grouped.items()
        ] or [
            "None found (no gRPC client, HTTP request, address variable or manifest "
            "links one service to another)."
        ]
        if self.elsewhere:
            out.append(
                f"- … and {self.elsewhere} edges between other services (none of them given)"
            )
        if self.outside or self.outside_unscanned:
            out += ["", "### Callers outside the given paths", ""]
            out += [f"- {c.line()}" for c in self.outside]
            edges, files = self.outside_more
            if edges:
                out.append(f"- … and {edges} more edges from {files} files outside the given paths")
            if self.outside_unscanned:
                out.append(
                    f"- {self.outside_unscanned:,} more code files outside the given paths "
                    "were not scanned (a cap on what is read)"
                )
        if self.routes:
            out += ["", "### HTTP routes served", ""]
            for service, routes in sorted(self.routes.items()):
                shown = ", ".join(routes[:15]) + (
                    f" and {len(routes) - 15} more" if len(routes) > 15 else ""
                )
                out.append(f"- `{service}`: {shown}")
        if self.deployment:
            out += ["", "### Deployment", ""] + [f"- {d}" for d in self.deployment]
        if self.notes:
            out += ["", "### Notes", ""] + [f"- {n}" for n in self.notes]
        return out


def _listed(evidence: list[str], most: int = _MAX_LISTED) -> str:
    shown = ", ".join(f"`{e}`" for e in evidence[:most])
    return shown + (f" and {len(evidence) - most} more" if len(evidence) > most else "")


def gather(
    code: list[tuple[str, str | None]],
    specs: list[str],
    deploy: list[str],
    read: Callable[[str], str | None],
    owner: Callable[[str], str | None],
    generated: Callable[[str], str | None],
    given: dict[str, str],
    scan_file: Callable[[str, str | None], list[wr.Site] | None] | None = None,
    outside: list[tuple[str, str | None]] | None = None,
    look: Callable[[str], str | None] | None = None,
) -> Integration:
    """The integration points of `code` files ((path, language)), protocol `specs` and
    `deploy` manifests; `read` gives a file's text, `owner` the given path (its shown
    name) holding a file, `generated` why a file is generated, `given` the given paths'
    service names (folder name -> shown name); `scan_file` the sites of a code file
    (None: unreadable) when the caller remembers them, else `read` and `scan`;
    `outside` the code files outside the given paths, scanned for callers into them
    (`owner` names the service such a file belongs to); `look` reads a code file for
    the RPCs it calls without putting it in the context (default `read`)."""
    out = Integration()
    sites: list[wr.Site] = []
    # The given paths' own definitions first: a copy elsewhere is listed with them.
    for path in sorted(specs, key=lambda p: owner(p) not in given.values()):
        text = read(path)
        if text is None:
            continue
        found, note = pr.parse(path, text)
        # GraphQL's object types are data; its root types are what services serve.
        _define(out, [d for d in found if d.kind != "GraphQL" or d.service in gq.ROOTS])
        if note:
            out.notes.append(note)
        elif path.endswith((".graphql", ".gql", ".graphqls")):
            sites += gq.document(path, text)  # a client's operations
    texts: list[tuple[str, str]] = [(p, t) for p in deploy if (t := read(p)) is not None]
    wiring = mf.read(texts)
    out.notes += wiring.notes
    # Outside the given paths, a service is its folder (`src/frontend`): as manifests name it.
    beside = {o for p, _ in outside or [] if (o := owner(p))}
    names = _Names({**{service_name(o): o for o in beside}, **given}, wiring.services)
    known = {p.service for p in out.protocols if p.kind == "gRPC"}
    given_files = len(code)
    for n, (path, language) in enumerate(code + (outside or [])):
        why = generated(path) if n < given_files else None
        if why is not None:
            out.skipped.append((path, why))
            continue
        if scan_file is not None:
            found_sites = scan_file(path, language)
        else:
            text = read(path)
            found_sites = scan(path, language, text) if text is not None else None
        if found_sites and n >= given_files and generated(path) is not None:
            continue  # outside, only a file that calls in is asked whether it is generated
        for site in found_sites or []:
            if site.role in (wr.SERVES, wr.CALLS) and known and site.name not in known:
                continue  # `new proto.Thing(` in JS names no service the protos define
            sites.append(site)
    _grpc(out, sites, look or read, owner, names, dict(code + (outside or [])))
    _http(out, sites, owner, names)
    _graphql(out, sites, owner, names)
    _env(out, sites, wiring, owner, names)
    for name, (evidence, ports) in sorted(wiring.ports.items()):
        shown = names.match(name) or name
        if shown not in given.values():
            continue
        out.deployment.append(
            f"Kubernetes Service `{name}`"
            + (f" (service `{shown}`)" if shown != name else "")
            + (f": ports {', '.join(ports)}" if ports else "")
            + f" (`{evidence}`)"
        )
    services = set(given.values())
    out.routes = {k: v for k, v in out.routes.items() if k in services}
    unique = list(dict.fromkeys(out.connections))  # once each, in order found
    from_outside = {p for p, _ in outside or []}
    callers = [
        c
        for c in unique
        if c.target in services
        and c.source not in services
        and c.evidence.rpartition(":")[0] in from_outside
    ]
    _rank_outside(out, callers)
    unique = [c for c in unique if c not in set(callers)]
    out.connections = [c for c in unique if c.source in services or c.target in services]
    out.elsewhere = len(
        {(c.source, c.target) for c in unique} - {(c.source, c.target) for c in out.connections}
    )
    out.connections.sort(key=lambda c: (c.source, c.target))  # stable: kinds keep their order
    return out


def _rank_outside(out: Integration, callers: list[Connection]) -> None:
    """Keep the callers from outside the given paths that matter most: the services
    with the most edges into the given ones first, then by name; count the rest."""
    weight: dict[str, int] = {}
    for c in callers:
        weight[c.source] = weight.get(c.source, 0) + 1
    ranked = sorted(callers, key=lambda c: (-weight[c.source], c.source, c.target))
    out.outside = ranked[:_MAX_OUTSIDE]
    rest = ranked[_MAX_OUTSIDE:]
    out.outside_more = (len(rest), len({c.evidence.rpartition(":")[0] for c in rest}))


def scan(path: str, language: str | None, text: str) -> list[wr.Site]:
    """The integration sites of one code file: gRPC, HTTP, addresses and GraphQL."""
    return wr.scan(path, language, text) + gq.scan(path, language, text)


def key(p: pr.ProtocolDef) -> tuple[str, str]:
    """What `served_by`, `called_by` and `copies` know a definition by. Every GraphQL
    service has its own `Query`: a root type is one per set of fields (a schema copied
    for a client or a deployment is a copy; a composed supergraph is its own)."""
    if p.kind != "GraphQL":
        return (p.kind, p.service)
    return (p.kind, f"{p.service}({','.join(sorted(o.name for o in p.operations))})")


def _define(out: Integration, found: Iterable[pr.ProtocolDef]) -> None:
    """Add protocol definitions; one already known is a copy (a shared .proto in each
    service), listed with the first."""
    known = {key(p) for p in out.protocols}
    for d in found:
        if key(d) in known:
            out.copies.setdefault(key(d), []).append(f"{d.path}:{d.line}")
        else:
            out.protocols.append(d)
            known.add(key(d))


def _graphql(
    out: Integration, sites: list[wr.Site], owner: Callable[[str], str | None], names: _Names
) -> None:
    """GraphQL root fields: the schema that defines, the code that serves and the code
    that calls each, and the edges from a caller to the service resolving the field
    (else to the host its `/graphql` endpoint names)."""
    _define(out, gq.definitions([s for s in sites if s.role == gq.DEFINES]))
    served = [s for s in sites if s.role == gq.SERVES]
    schemas: dict[str, list[pr.ProtocolDef]] = {}  # Type.field (normalised) -> definitions

    def index() -> None:
        schemas.clear()
        for p in out.protocols:
            if p.kind == "GraphQL":
                for o in p.operations:
                    schemas.setdefault(gq.norm(f"{p.service}.{o.name}"), []).append(p)

    index()
    # Code first (Strawberry, Graphene; no schema read): the resolvers are the definition.
    _define(out, gq.definitions([s for s in served if gq.norm(s.name) not in schemas]))
    index()
    servers: dict[str, list[wr.Site]] = {}
    for s in served:
        servers.setdefault(gq.norm(s.name), []).append(s)
        for p in schemas.get(gq.norm(s.name), []):
            out.served_by.setdefault(key(p), []).append(f"{s.path}:{s.line}")
        out.starts.setdefault(s.path, []).append(f"resolves GraphQL `{s.name.split('.')[0]}`")
    hosts: dict[str, set[str]] = {}
    for s in sites:
        if s.role == gq.ENDPOINT and (hit := names.of_value(s.detail)):
            hosts.setdefault(s.path, set()).add(hit)
    calling = set()
    for s in sites:
        if s.role != gq.CALLS:
            continue
        for p in schemas.get(gq.norm(s.name), []):
            out.called_by.setdefault(key(p), []).append(f"{s.path}:{s.line}")
        source = owner(s.path) or s.path
        targets = {owner(x.path) or x.path for x in servers.get(gq.norm(s.name), [])}
        for target in sorted((targets or hosts.get(s.path, set())) - {source}):
            calling.add(s.path)
            out.connections.append(
                Connection(source, target, f"GraphQL `{s.name}`", f"{s.path}:{s.line}")
            )
    for s in sites:  # another service's endpoint, the operations sent to it not found
        if s.role == gq.ENDPOINT and s.path not in calling:
            source = owner(s.path) or s.path
            for target in sorted(hosts.get(s.path, set()) - {source}):
                how = f"GraphQL endpoint `{s.name}`"
                out.connections.append(Connection(source, target, how, f"{s.path}:{s.line}"))


def _grpc(
    out: Integration,
    sites: list[wr.Site],
    read: Callable[[str], str | None],
    owner: Callable[[str], str | None],
    names: _Names,
    languages: dict[str, str | None],
) -> None:
    rpcs = {p.service: [o.name for o in p.operations] for p in out.protocols if p.kind == "gRPC"}
    servers: dict[str, list[wr.Site]] = {}
    for s in sites:
        if s.role == wr.SERVES:
            servers.setdefault(s.name, []).append(s)
            out.served_by.setdefault(("gRPC", s.name), []).append(f"{s.path}:{s.line}")
            out.starts.setdefault(s.path, []).append(f"{s.detail or 'serves'} gRPC `{s.name}`")
        elif s.role == wr.STARTS:
            out.starts.setdefault(s.path, []).append(f"starts {s.name}")
    for s in sites:
        if s.role != wr.CALLS:
            continue
        out.called_by.setdefault(("gRPC", s.name), []).append(f"{s.path}:{s.line}")
        source = owner(s.path) or s.path
        targets = {owner(x.path) or x.path for x in servers.get(s.name, [])}
        if not targets:
            targets = {names.match(s.name) or s.name}
        uses = wr.rpc_uses(read(s.path) or "", rpcs.get(s.name, []), languages.get(s.path))
        for target in sorted(targets - {source}):
            for rpc, line in uses or [("", s.line)]:
                how = f"gRPC `{s.name}.{rpc}`" if rpc else f"gRPC `{s.name}` (client)"
                out.connections.append(Connection(source, target, how, f"{s.path}:{line}"))


def _http(
    out: Integration, sites: list[wr.Site], owner: Callable[[str], str | None], names: _Names
) -> None:
    routes = [s for s in sites if s.role == wr.ROUTE]
    for r in routes:
        out.routes.setdefault(owner(r.path) or r.path, []).append(
            f"`{r.name}` (`{r.path}:{r.line}`)"
        )
    for p in out.protocols:
        if p.kind != "HTTP":
            continue
        for op in p.operations:
            for r in routes:
                if _route_match(r.name, op.name) or _route_match(op.name, r.name):
                    out.served_by.setdefault(("HTTP", p.service), []).append(f"{r.path}:{r.line}")
            for q in sites:
                if q.role == wr.REQUEST and _route_match(op.name, q.name):
                    out.called_by.setdefault(("HTTP", p.service), []).append(f"{q.path}:{q.line}")
    for q in sites:
        if q.role != wr.REQUEST:
            continue
        source = owner(q.path) or q.path
        hit = names.of_value(q.detail) if q.detail else None
        declared = {owner(r.path) or r.path for r in routes if _route_match(r.name, q.name)}
        # The host decides; else the route, when one service alone declares it (`GET /`
        # or `/health` in several services says nothing of which one is called).
        targets = {hit} if hit else declared if len(declared - {source}) == 1 else set()
        for target in sorted(targets - {source}):
            out.connections.append(
                Connection(source, target, f"HTTP `{q.name}`", f"{q.path}:{q.line}")
            )


def _env(
    out: Integration,
    sites: list[wr.Site],
    wiring: mf.Manifests,
    owner: Callable[[str], str | None],
    names: _Names,
) -> None:
    for s in sites:
        if s.role != wr.ENV:
            continue
        target = names.of_env(s.name)
        source = owner(s.path) or s.path
        if target and target != source:
            out.connections.append(
                Connection(source, target, f"env `{s.name}`", f"{s.path}:{s.line}")
            )
    for e in wiring.env:
        source = names.match(e.owner) or e.owner
        # `EXPORTER_TYPE=collector` names a kind, not an address: a value is an address
        # by the variable's name (`*_HOST`) or by its form (`collector:4317`, `http://…`).
        address = _ADDRESS_SUFFIX.search(e.name) or re.search(r"[:/]", e.value)
        target = (names.of_value(e.value) if address else None) or names.of_env(e.name)
        if target and target != source:
            out.connections.append(
                Connection(source, target, f"env `{e.name}` ({e.where})", e.evidence)
            )
    for link in wiring.links:
        source = names.match(link.source) or link.source
        target = names.match(link.target) or link.target
        if target != source:
            out.connections.append(Connection(source, target, link.how, link.evidence))


def service_name(path: str) -> str:
    """The service a given folder is: its last part (`src/cartservice` -> `cartservice`)."""
    return PurePosixPath(path).name or "."
