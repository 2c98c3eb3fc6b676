"""A review warns at call sites only when a call can break or behave differently."""

from __future__ import annotations

from cowork.kinds.signatures import ambiguous, calls_may_break


def test_annotation_only_changes_leave_calls_alone() -> None:
    assert not calls_may_break(
        "load(path: str | os.PathLike | None=None) -> bool",
        "load(path: str | os.PathLike[str] | None=None) -> bool",
    )
    assert not calls_may_break(
        "convert(self, value, param, ctx)",
        "convert(self, value: t.Any, param: P | None, ctx: C | None) -> t.Any",
    )


def test_new_parameters_renames_and_new_defaults_are_worth_a_look() -> None:
    assert calls_may_break(
        "handle(self, e: Exception)", "handle(self, ctx: AppContext, e: Exception)"
    )
    assert calls_may_break(
        "redirect(location: str, code: int=302)", "redirect(location: str, code: int=303)"
    )
    assert calls_may_break("f(a, b)", "f(a, *, b)")
    assert calls_may_break("func f(a int) error", "func f(a int, b string) error")  # Go: as text
    assert not calls_may_break("func f(a int) error", "func f(a  int) error")


def test_methods_named_like_a_builtins_are_not_matched_by_name() -> None:
    assert ambiguous("get", "SessionInterface.get")
    assert ambiguous("setdefault", "Session.setdefault")
    assert ambiguous("__call__", "Flask.__call__")
    assert not ambiguous("get", "get")  # a module-level function called get is its own
    assert not ambiguous("dispatch_request", "Flask.dispatch_request")
