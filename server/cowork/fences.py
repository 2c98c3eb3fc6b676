"""Code fences that hold any text: longer than every backtick run inside it."""

from __future__ import annotations


def fence(text: str) -> str:
    """A code fence (at least three backticks) longer than any backtick run in `text`."""
    # One substring search per length, in C: prompts are fenced piece by piece, and
    # again for each form the budget weighs, so a list of every run cost tens of ms.
    n = 3
    while "`" * n in text:
        n += 1
    return "`" * n
