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

from cowork.context import manifests as mf
from cowork.context import protocols as pr
from cowork.context import wiring as wr

_ADDRESS_SUFFIX = re.compile(
    r"(_SERVICE)?_(ADDR|ADDRESS|URL|URI|HOST|HOSTNAME|ENDPOINT|PORT)$", re.I
)
_MAX_LISTED = 6  # files named per "served by" / "called by"


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
    routes: dict[str, list[str]] = field(default_factory=dict)  # service -> "GET /x (`p:l`)"

    def render(self) -> list[str]:
        """The report's lines (Markdown), also the compact piece sent to a model."""
        out: list[str] = []
        if self.protocols:
            out += ["### Protocols", ""]
            for p in self.protocols:
                key = (p.kind, p.service)
                ops = ", ".join(o.name for o in p.operations[:12])
                more = f" … +{len(p.operations) - 12}" if len(p.operations) > 12 else ""
                copies = self.copies.get(key, [])
                out.append(
                    f"- {p.kind} `{p.service}` (`{p.path}:{p.line}`"
                    + (f"; also defined in {_listed(copies)}" if copies else "")
                    + ")"
                    + (f": {ops}{more}" if ops else "")
                )
                served = list(dict.fromkeys(self.served_by.get(key, [])))
                called = list(dict.fromkeys(self.called_by.get(key, [])))
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


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class _Names:
    """Service names as the given paths, manifests and code spell them, matched loosely:
    `CART_SERVICE_ADDR`, `cartservice`, `cart-service` and `CartService` are one."""

    def __init__(self, given: dict[str, str], others: Iterable[str]) -> None:
        self.by_norm: dict[str, str] = {}
        for name in others:
            self._add(name, name)
        for key, shown in given.items():  # the given paths win: they are the report's names
            self._add(key, shown, replace=True)

    def _add(self, key: str, shown: str, replace: bool = False) -> None:
        for k in {norm(key), norm(key).removesuffix("service")} - {""}:
            if replace or k not in self.by_norm:
                self.by_norm[k] = shown

    def match(self, name: str) -> str | None:
        n = norm(name)
        return self.by_norm.get(n) or self.by_norm.get(n.removesuffix("service"))

    def of_env(self, variable: str) -> str | None:
        return self.match(_ADDRESS_SUFFIX.sub("", variable))

    def of_value(self, value: str) -> str | None:
        """The service an address names: `cartservice:7070`, `http://cart/api`,
        `dns:///cartservice.default.svc.cluster.local:7070`."""
        host = re.sub(r"^[a-z][a-z0-9+.-]*:/+", "", value.strip(), flags=re.I)
        host = re.split(r"[:/?#]", host, maxsplit=1)[0].split(".")[0]
        return self.match(host) if host and not host[0].isdigit() else None


def _route_regex(route: str) -> re.Pattern[str]:
    """A declared route (`/api/cart/{id}`, `:id`, `<int:id>`) as a pattern on request paths."""
    parts = re.split(r"\{[^}]*\}|:\w+|<[^>]*>", route.rstrip("/") or "/")
    return re.compile("^" + "[^/]+".join(map(re.escape, parts)) + "/?$")


def _route_match(declared: str, requested: str) -> bool:
    d_verb, _, d_route = declared.partition(" ")
    r_verb, _, r_route = requested.partition(" ")
    if d_verb not in ("ANY", r_verb):
        return False
    return bool(_route_regex(d_route).match(r_route.split("?")[0]))


def gather(
    code: list[tuple[str, str | None]],
    specs: list[str],
    deploy: list[str],
    read: Callable[[str], str | None],
    owner: Callable[[str], str | None],
    generated: Callable[[str], str | None],
    given: dict[str, str],
    scan_file: Callable[[str, str | None], list[wr.Site] | None] | None = None,
) -> Integration:
    """The integration points of `code` files ((path, language)), protocol `specs` and
    `deploy` manifests; `read` gives a file's text, `owner` the given path (its shown
    name) holding a file, `generated` why a file is generated, `given` the given paths'
    service names (folder name -> shown name); `scan_file` the sites of a code file
    (None: unreadable) when the caller remembers them, else `read` and `wiring.scan`."""
    out = Integration()
    for path in specs:
        text = read(path)
        if text is None:
            continue
        found, note = pr.parse(path, text)
        known_defs = {(p.kind, p.service) for p in out.protocols}
        for d in found:
            key = (d.kind, d.service)
            if key in known_defs:  # a copy of a shared .proto in each service
                out.copies.setdefault(key, []).append(f"{d.path}:{d.line}")
            else:
                out.protocols.append(d)
                known_defs.add(key)
        if note:
            out.notes.append(note)
    texts: list[tuple[str, str]] = [(p, t) for p in deploy if (t := read(p)) is not None]
    wiring = mf.read(texts)
    out.notes += wiring.notes
    names = _Names(given, wiring.services)
    known = {p.service for p in out.protocols if p.kind == "gRPC"}
    sites: list[wr.Site] = []
    for path, language in code:
        why = generated(path)
        if why is not None:
            out.skipped.append((path, why))
            continue
        if scan_file is not None:
            found_sites = scan_file(path, language)
        else:
            text = read(path)
            found_sites = wr.scan(path, language, text) if text is not None else None
        for site in found_sites or []:
            if site.role in (wr.SERVES, wr.CALLS) and known and site.name not in known:
                continue  # `new proto.Thing(` in JS names no service the protos define
            sites.append(site)
    _grpc(out, sites, read, owner, names, dict(code))
    _http(out, sites, owner, names)
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
    unique = list(dict.fromkeys(out.connections))  # once each, in order found
    out.connections = [c for c in unique if c.source in services or c.target in services]
    out.elsewhere = len(
        {(c.source, c.target) for c in unique} - {(c.source, c.target) for c in out.connections}
    )
    out.connections.sort(key=lambda c: (c.source, c.target))  # stable: kinds keep their order
    return out


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
        targets: set[str] = set()
        if q.detail:
            hit = names.of_value(q.detail)
            if hit:
                targets.add(hit)
        targets |= {owner(r.path) or r.path for r in routes if _route_match(r.name, q.name)}
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
        target = names.of_value(e.value) or names.of_env(e.name)
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
