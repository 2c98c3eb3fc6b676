"""When a changed definition is worth a warning at its call sites.

A review's offline checks match callers by name, so they must not cry wolf:
a change that only touches type annotations leaves every call valid, and a
method named like a built-in container's (`get`, `update`, `setdefault`)
matches half the code base's calls to dicts and lists.
"""

from __future__ import annotations

import ast
import functools

# Method names every dict, list, str, set and object already has.
COMMON_METHODS = frozenset(
    name
    for kind in (dict, list, str, set, bytes, object, int, tuple, frozenset)
    for name in dir(kind)
) | frozenset({"close", "open", "read", "write", "run", "start", "stop", "send", "get", "set"})


def ambiguous(name: str, qualified: str) -> bool:
    """Whether call sites of `qualified` found by its short `name` are too likely to
    be calls of something else (a method with a built-in's name, a dunder)."""
    if name.startswith("__") and name.endswith("__"):
        return True
    return "." in qualified and name in COMMON_METHODS


@functools.lru_cache(maxsize=4096)
def _shape(signature: str) -> tuple[object, ...] | None:
    """What a call depends on in a Python signature `name(params) -> ret`: the
    parameters' names, kinds and default values (a changed default changes what a
    call that leaves it out does). None when it does not parse as Python (another
    language: compare as text)."""
    text = signature.strip()
    if text.startswith(("async ", "def ")):
        text = text.split(" ", 1)[1]
    try:
        tree = ast.parse(f"def {text}:\n    pass\n")
    except SyntaxError:
        return None
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    a = tree.body[0].args
    positional = [*a.posonlyargs, *a.args]
    defaults: list[str | None] = [None] * (len(positional) - len(a.defaults))
    defaults += [ast.unparse(d) for d in a.defaults]
    return (
        tuple((p.arg, d) for p, d in zip(positional, defaults, strict=True)),
        len(a.posonlyargs),
        a.vararg.arg if a.vararg else None,
        tuple(
            (k.arg, ast.unparse(d) if d is not None else None)
            for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True)
        ),
        a.kwarg.arg if a.kwarg else None,
    )


def calls_may_break(before: str | None, after: str | None) -> bool:
    """Whether a signature change can break or change a call: False when only the
    annotations or the return type changed (Python); True when unsure."""
    if not before or not after:
        return True
    old, new = _shape(before), _shape(after)
    if old is None or new is None:
        return " ".join(before.split()) != " ".join(after.split())
    return old != new
