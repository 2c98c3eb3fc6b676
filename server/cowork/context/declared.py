"""Dependencies a workspace declares in its manifests, with where: pyproject.toml,
requirements*.txt, package.json, go.mod, pom.xml, build.gradle(.kts), *.csproj,
Cargo.toml, Gemfile and composer.json. Pure functions on text; a manifest that does
not parse declares nothing (and says so)."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

from cowork.context import deps


@dataclass(frozen=True)
class Declared:
    name: str  # as the manifest names it: "requests", "@grpc/grpc-js", "io.grpc:grpc-netty"
    manifest: str  # path
    line: int


def is_manifest(path: str) -> bool:
    name = PurePosixPath(path).name
    return (
        name
        in {
            "pyproject.toml",
            "package.json",
            "go.mod",
            "pom.xml",
            "build.gradle",
            "build.gradle.kts",
            "Cargo.toml",
            "Gemfile",
            "composer.json",
        }
        or name.endswith(".csproj")
        or (name.startswith("requirements") and name.endswith((".txt", ".in")))
    )


def _line(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


_PEP508 = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _python_names(specs: list[str]) -> list[str]:
    return [m.group(1) for s in specs if (m := _PEP508.match(s))]


def declared(path: str, text: str) -> tuple[list[Declared], str | None]:
    """The dependencies `path` declares, or a note on why it could not be read."""
    name = PurePosixPath(path).name
    found: list[str] = []
    try:
        if name == "pyproject.toml":
            doc = tomllib.loads(text)
            project = doc.get("project", {})
            found = _python_names(list(project.get("dependencies", [])))
            for extra in project.get("optional-dependencies", {}).values():
                found += _python_names(list(extra))
            poetry = doc.get("tool", {}).get("poetry", {})
            found += [n for n in poetry.get("dependencies", {}) if n != "python"]
        elif name.startswith("requirements"):
            lines = [ln for ln in text.splitlines() if not ln.strip().startswith(("#", "-"))]
            found = _python_names(lines)
        elif name in ("package.json", "composer.json"):
            doc = json.loads(text)
            for key in ("dependencies", "devDependencies", "peerDependencies", "require"):
                found += list(doc.get(key, {}) or {})
        elif name == "go.mod":
            found = deps.go_requires(text)
        elif name == "Cargo.toml":
            doc = tomllib.loads(text)
            for key in ("dependencies", "dev-dependencies", "build-dependencies"):
                found += list(doc.get(key, {}))
        elif name == "pom.xml":
            root = ElementTree.fromstring(text)
            for dep in root.iter():
                if dep.tag.rsplit("}", 1)[-1] == "dependency":
                    parts = {c.tag.rsplit("}", 1)[-1]: (c.text or "") for c in dep}
                    found.append(f"{parts.get('groupId', '')}:{parts.get('artifactId', '')}")
        elif name.endswith(".csproj"):
            root = ElementTree.fromstring(text)
            found = [
                r.get("Include", "") for r in root.iter() if r.tag.endswith("PackageReference")
            ]
        elif name.startswith("build.gradle"):
            found = re.findall(
                r"\b(?:implementation|api|compileOnly|runtimeOnly|testImplementation)\s*\(?\s*"
                r"['\"]([\w.-]+:[\w.-]+)",
                text,
            )
        elif name == "Gemfile":
            found = re.findall(r"^\s*gem\s+['\"]([\w.-]+)['\"]", text, re.M)
    except (ValueError, ElementTree.ParseError, AttributeError, TypeError) as exc:
        return [], f"`{path}` could not be read for dependencies: {str(exc).splitlines()[0]}"
    return [Declared(n, path, _line(text, n)) for n in dict.fromkeys(found) if n], None


def words(name: str) -> set[str]:
    """The parts a dependency's name is made of, lowercased without punctuation:
    `@grpc/grpc-js` -> {grpc, grpcjs, js, grpc-js…}; what an option's name is matched to."""
    lowered = name.lower()
    parts = {p for p in re.split(r"[/.:@\\\s]+", lowered) if p}
    return {re.sub(r"[^a-z0-9]", "", p) for p in parts | {lowered}} | {
        w for p in parts for w in re.split(r"[-_]", p) if w
    }


def matches(option: str, name: str) -> bool:
    """Whether an option named in a research question (`Redis`, `gRPC`, `SQLAlchemy`)
    is the dependency or module `name`."""
    wanted = re.sub(r"[^a-z0-9]", "", option.lower())
    return bool(wanted) and wanted in words(name)
