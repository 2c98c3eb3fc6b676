"""file:// URIs ⇄ paths, without depending on the LSP library."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from cowork.errors import InputError

# What urllib.request.url2pathname is, without importing urllib.request (and with it
# http, email and ssl: a fifth of the server's start-up before `initialize`).
if os.name == "nt":
    from nturl2path import url2pathname
else:

    def url2pathname(url: str) -> str:
        return unquote(url)


def to_path(value: str) -> Path:
    """A `file:` URI or a plain absolute path as a Path; InputError otherwise."""
    if not isinstance(value, str) or not value:
        raise InputError(f"expected a file URI, got {value!r}")
    if value.startswith("file:"):
        parsed = urlparse(value)
        if parsed.netloc not in ("", "localhost"):
            raise InputError(f"{value} is on another host; cowork works on local files only")
        return Path(url2pathname(unquote(parsed.path)))
    if "://" in value or (":" in value.split("/")[0] and not Path(value).is_absolute()):
        raise InputError(f"{value} is not a file URI; cowork works on local files only")
    path = Path(value)
    if not path.is_absolute():
        raise InputError(f"{value} is not an absolute path or file URI")
    return path


def from_path(path: Path) -> str:
    return path.resolve().as_uri()
