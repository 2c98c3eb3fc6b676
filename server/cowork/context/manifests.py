"""How services are wired in deployment manifests: docker-compose (`depends_on`,
`links`, `environment`) and Kubernetes (`Service` names and ports, containers'
`env` values), with `path:line` evidence.

Environment values are kept raw (`cartservice:7070`): which service a value
names is decided by the caller, once every service name is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from cowork.context.yamlnodes import (
    get,
    line_of,
    load_documents,
    mapping_items,
    scalar,
    sequence,
    untemplated,
    walk,
)

_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}


@dataclass(frozen=True)
class Link:
    source: str  # the service or workload that depends
    target: str  # a service name, as written
    how: str  # "compose depends_on", "compose links"
    evidence: str  # path:line


@dataclass(frozen=True)
class EnvValue:
    owner: str  # the service or workload whose environment it is
    name: str  # the variable
    value: str  # as written: "cartservice:7070", "http://cart/api"
    evidence: str
    where: str  # "compose", "Kubernetes"


@dataclass
class Manifests:
    services: dict[str, str] = field(default_factory=dict)  # name -> evidence
    # Kubernetes Service -> (evidence, its ports as "port→targetPort")
    ports: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    env: list[EnvValue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_compose(path: str) -> bool:
    """Whether `path` is a docker-compose file (by name)."""
    name = path.rpartition("/")[2].lower()
    return name.startswith(("docker-compose", "compose.")) and name.endswith((".yml", ".yaml"))


def may_be_kubernetes(path: str, text: str) -> bool:
    return path.endswith((".yml", ".yaml")) and "apiVersion" in text and "kind" in text


def _documents(path: str, text: str, out: Manifests) -> list[yaml.Node]:
    clean, templated = untemplated(text)
    if templated:
        out.notes.append(f"`{path}` is templated: values inside `{{{{ }}}}` were not read")
    try:
        return load_documents(clean)
    except yaml.YAMLError as exc:
        out.notes.append(f"`{path}` does not parse as YAML: {str(exc).splitlines()[0]}")
        return []


def _env_entries(node: yaml.Node | None) -> list[tuple[str, str, int]]:
    """(name, value, line) of a compose `environment` (a mapping or `K=V` list)."""
    found = []
    for k, v in mapping_items(node):
        name, value = scalar(k), scalar(v)
        if name and value:
            found.append((name, value, line_of(v)))
    for item in sequence(node):
        text = scalar(item) or ""
        if "=" in text:
            name, _, value = text.partition("=")
            found.append((name.strip(), value.strip(), line_of(item)))
    return found


def read_compose(path: str, text: str, out: Manifests) -> None:
    for doc in _documents(path, text, out):
        for name_node, service in mapping_items(get(doc, "services")):
            name = scalar(name_node)
            if not name:
                continue
            out.services.setdefault(name, f"{path}:{line_of(name_node)}")
            depends = get(service, "depends_on")
            targets = [(scalar(n), n) for n in sequence(depends)]
            targets += [(scalar(k), k) for k, _ in mapping_items(depends)]
            for target, node in targets:
                if target:
                    out.links.append(
                        Link(name, target, "compose `depends_on`", f"{path}:{line_of(node)}")
                    )
            for node in sequence(get(service, "links")):
                target = (scalar(node) or "").split(":")[0]
                if target:
                    out.links.append(
                        Link(name, target, "compose `links`", f"{path}:{line_of(node)}")
                    )
            for var, value, line in _env_entries(get(service, "environment")):
                out.env.append(EnvValue(name, var, value, f"{path}:{line}", "compose"))


def read_kubernetes(path: str, text: str, out: Manifests) -> None:
    for doc in _documents(path, text, out):
        kind = scalar(get(doc, "kind"))
        meta = get(doc, "metadata")
        name = scalar(get(meta, "name"))
        if not kind or not name:
            continue
        if kind == "Service":
            evidence = f"{path}:{line_of(get(meta, 'name'))}"
            out.services.setdefault(name, evidence)
            ports = []
            for port in sequence(get(get(doc, "spec"), "ports")):
                number, target = scalar(get(port, "port")), scalar(get(port, "targetPort"))
                if number:
                    ports.append(number + (f"→{target}" if target and target != number else ""))
            out.ports.setdefault(name, (evidence, ports))  # the first of copies (kustomize)
        elif kind in _WORKLOADS:
            out.services.setdefault(name, f"{path}:{line_of(get(meta, 'name'))}")
            for env in walk(get(doc, "spec"), "env"):
                for item in sequence(env):
                    var, value = scalar(get(item, "name")), scalar(get(item, "value"))
                    if var and value:
                        evidence = f"{path}:{line_of(get(item, 'value'))}"
                        out.env.append(EnvValue(name, var, value, evidence, "Kubernetes"))


def read(files: list[tuple[str, str]]) -> Manifests:
    """The wiring written in `files` ((path, text) of YAML files; others are ignored)."""
    out = Manifests()
    for path, text in files:
        if is_compose(path):
            read_compose(path, text, out)
        elif may_be_kubernetes(path, text):
            read_kubernetes(path, text, out)
    return out
