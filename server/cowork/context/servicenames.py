"""Service names as given paths, manifests and code spell them, matched loosely, and
HTTP routes as declared and as requested, matched to each other."""

from __future__ import annotations

import re
from collections.abc import Iterable

ADDRESS_SUFFIX = re.compile(
    r"(_SERVICE)?_(ADDR|ADDRESS|URL|URI|HOST|HOSTNAME|ENDPOINT|PORT)$", re.I
)


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class ServiceNames:
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
        return self.match(ADDRESS_SUFFIX.sub("", variable))

    def of_value(self, value: str) -> str | None:
        """The service an address names: `cartservice:7070`, `http://cart/api`,
        `dns:///cartservice.default.svc.cluster.local:7070`."""
        host = re.sub(r"^[a-z][a-z0-9+.-]*:/+", "", value.strip(), flags=re.I)
        host = re.split(r"[:/?#]", host, maxsplit=1)[0].split(".")[0]
        return self.match(host) if host and not host[0].isdigit() else None


def route_regex(route: str) -> re.Pattern[str]:
    """A declared route (`/api/cart/{id}`, `:id`, `<int:id>`) as a pattern on request paths."""
    parts = re.split(r"\{[^}]*\}|:\w+|<[^>]*>", route.rstrip("/") or "/")
    return re.compile("^" + "[^/]+".join(map(re.escape, parts)) + "/?$")


def route_match(declared: str, requested: str) -> bool:
    d_verb, _, d_route = declared.partition(" ")
    r_verb, _, r_route = requested.partition(" ")
    if d_verb not in ("ANY", r_verb):
        return False
    return bool(route_regex(d_route).match(r_route.split("?")[0]))
