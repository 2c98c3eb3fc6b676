"""The artifact of a running task, on disk while the model writes it.

The file appears with the first text and grows as text arrives, so a user can
open it and watch. Its front matter says `status: writing`. When an attempt
fails and is retried, what arrived stays, marked incomplete, until the next
attempt's first text replaces it (only the current round's text, when an answer
cut by the output limit is being continued). The finished artifact replaces the draft
atomically at the same path; a task that fails leaves it marked incomplete
with the reason; a cancelled task leaves nothing.

Not thread-safe: the engine calls one Draft from one thread at a time, in order.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from cowork import artifacts


class Draft:
    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path  # where the draft goes; `claimed` tells whether it is there
        self._header = header
        self._kept: list[str] = []  # text of the finished rounds of a continued answer
        self._text: list[str] = []  # the current attempt's text
        self._claimed = False
        self._note = ""

    @classmethod
    def adopt(cls, path: Path, header: dict[str, Any]) -> Draft:
        """The draft an earlier run of the same task left at `path`, to be replaced."""
        draft = cls(path, header)
        draft._claimed = True
        draft._note = "an earlier run was interrupted"  # its text goes with the first new text
        return draft

    @property
    def claimed(self) -> bool:
        return self._claimed

    def _render(self, status: str, banner: str) -> str:
        # The text ends the file, so that what arrives next is appended to it.
        return (
            f"{artifacts.front_matter({**self._header, 'status': status})}\n{banner}\n\n"
            + "".join(self._kept)
            + "".join(self._text)
        )

    def _rewrite(self, status: str, banner: str) -> None:
        content = self._render(status, banner)
        if self._claimed:
            artifacts.write_atomic(self.path, content)
        else:
            self.path = artifacts.write_new(self.path, content)
            self._claimed = True

    def append(self, text: str) -> None:
        """Add `text` to the current attempt's text, on disk."""
        if not self._claimed or self._note:
            # First text, or the first of a new attempt: start the document over.
            if self._note:
                self._text = []
                self._note = ""
            self._text.append(text)
            self._rewrite("writing", _WRITING)
            return
        self._text.append(text)
        with open(self.path, "a", encoding="utf-8", newline="\n") as fh:
            fh.write(text)

    def round_done(self) -> None:
        """The text so far is whole: a later retry replaces only what follows it."""
        self._kept += self._text
        self._text = []

    def interrupted(self, note: str) -> None:
        """The current attempt failed and another follows: keep its text, say so."""
        if not self._claimed:
            return
        self._note = note
        self._rewrite("incomplete", f"> **Incomplete**: {note}. This text will be replaced.")

    def finish(self, content: str) -> Path:
        """Replace the draft with the finished artifact (or write it, if none)."""
        if self._claimed:
            artifacts.write_atomic(self.path, content)
        else:
            self.path = artifacts.write_new(self.path, content)
            self._claimed = True
        return self.path

    def failed(self, reason: str) -> Path | None:
        """Leave the text that arrived, marked incomplete with `reason`; None if none did."""
        if not self._claimed:
            return None
        self._note = reason
        self._rewrite(
            "incomplete",
            f"> **Incomplete**: the task failed: {reason}. The text below is what "
            "arrived before it stopped.",
        )
        return self.path

    def discard(self) -> None:
        if self._claimed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            self._claimed = False


_WRITING = (
    "> **Being written**: this file grows as the text arrives, and is replaced by the "
    "finished draft."
)
