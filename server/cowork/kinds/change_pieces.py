"""The context pieces of a change, in the order a model reads them."""

from __future__ import annotations

from cowork.context.diff import FileChange
from cowork.context.git import ChangeSet
from cowork.context.privacy import redact
from cowork.kinds import change_facts, change_rank
from cowork.kinds.base import (
    CALLERS,
    CHANGES,
    TARGET,
    TESTS,
    ContextReader,
    GatherRequest,
    Piece,
)
from cowork.kinds.change_model import (
    MAX_AROUND_LINES,
    MAX_DEF_LINES,
    MAX_TESTS,
    ChangeFacts,
    Version,
    innermost,
    language_of,
    merge_spans,
    numbered,
    spans_around,
)
from cowork.kinds.summarize import outline_text

# Lines of commit message bodies: a bot's release notes run to hundreds of lines each,
# and a release has hundreds of commits (150 dependency bumps came to 30,000 tokens).
_MAX_BODY_LINES = 12  # per commit
_ALL_BODY_LINES = 400  # for all commits together


def _commit_lines(cs: ChangeSet, *, bodies: int | None = None) -> str:
    """The commits, newest first, with up to `bodies` lines of each message's body
    (None: as many as the commits share of `_ALL_BODY_LINES`; 0: subjects only)."""
    if bodies is None:
        bodies = min(_MAX_BODY_LINES, _ALL_BODY_LINES // max(1, len(cs.commits)))
    out: list[str] = []
    for c in cs.commits:
        merge = " (merge)" if c.merge else ""
        out.append(f"{c.sha[:10]} {c.date} {c.author}{merge}: {c.subject}")
        body = [line for line in c.body.split("\n") if line.strip()] if c.body else []
        shown = body[:bodies]
        out.extend(f"    {line}" for line in shown)
        if len(shown) < len(body):
            out.append(f"    … ({len(body) - len(shown)} more lines of the message)")
    if cs.more_commits:
        out.append(f"… and {cs.more_commits} older commits, not listed")
    if cs.uncommitted:
        out.append("(plus the uncommitted changes in the work tree)")
    return redact("\n".join(out) or "(none)")[0]


def _file_list(f: ChangeFacts) -> str:
    hidden = dict((fc.path, why) for fc, why in f.hidden)
    hidden |= {fc.path: f"not shown: {why}" for fc, why in f.generated}
    out = []
    for fc in f.all_files:
        counts = "" if fc.added is None else f" +{fc.added} -{fc.deleted}"
        why = f" — {hidden[fc.path]}" if fc.path in hidden else ""
        out.append(f"{fc.path} ({fc.describe()}){counts}{why}")
    return redact("\n".join(out))[0]


def _diff_piece(fc: FileChange, f: ChangeFacts) -> Piece:
    """The diff of `fc`, with the smaller forms it takes before its outline (one of the
    "diffs" group, ranked by its place in the list)."""
    title = f"Diff of {fc.path}" + (f" ({fc.describe()})" if fc.old_path else "")
    patch = fc.patch() or f"({fc.describe()}; no content change)"
    outline = "\n".join(f"{h.header}  (+{len(h.added())} lines)" for h in fc.hunks) or fc.describe()
    version = f.new.get(fc.path)
    called = {c.name for c in f.callers if c.target == fc.path}
    clean, found = redact(patch)
    steps: list[tuple[str, str]] = []
    if not any(r.kind == "private key" for r in found):  # a key block may span hunks
        steps = change_rank.shrink_steps(
            fc, version.facts if version else None, called, lambda t: redact(t)[0]
        )
    return Piece(
        title,
        clean,
        change_rank.priority_of(change_rank.rank_of(fc.path, f.main)),
        source=fc.path,
        outline=redact(outline)[0],
        smaller=tuple(steps),
        group="diffs",
    )


def _around_piece(fc: FileChange, version: Version) -> Piece | None:
    if not version.text:
        return None  # read for its facts only
    spans = spans_around(fc, version.facts)
    if not spans:
        return None
    text, cut = numbered(version.text, spans, MAX_AROUND_LINES)
    if cut:
        text += f"\n     … (cut at {MAX_AROUND_LINES} lines)"
    return Piece(
        f"{fc.path}: the code around the changes (numbered as in the new version)",
        text,
        CHANGES,
        source=fc.path,
        outline=redact(outline_text(version.facts))[0],
    )


def api_lines(f: ChangeFacts) -> list[str]:
    out: list[str] = []
    for path in sorted({a.path for a in f.api}):
        out.append(f"### `{path}`")
        for a in (a for a in f.api if a.path == path):
            where = f" (`{a.path}:{a.line}`)" if a.line else ""
            if a.change == "changed":
                out.append(f"- changed {a.kind} `{a.before}` → `{a.after}`{where}")
            else:
                out.append(f"- {a.change} {a.kind} `{a.after or a.before}`{where}")
        out.append("")
    out += [f"- {note}" for note in f.api_notes]
    return out


def _caller_pieces(f: ChangeFacts, reader: ContextReader) -> list[Piece]:
    pieces: list[Piece] = []
    for path in sorted({c.path for c in f.callers}):
        sites = [c for c in f.callers if c.path == path]
        text = reader.text(path)
        facts = reader.facts(path)
        if text is None:
            continue
        spans: list[tuple[int, int]] = []
        for c in sites:
            d = innermost(facts, c.line) if facts is not None else None
            if d is not None and d.end_line - d.line < MAX_DEF_LINES:
                spans.append((d.line, d.end_line))
            else:
                spans.append((max(1, c.line - 3), c.line + 3))
        body, _ = numbered(text, merge_spans(spans), MAX_AROUND_LINES)
        listing = "\n".join(
            f"{c.path}:{c.line} uses `{c.name}` (changed in {c.target})" for c in sites
        )
        pieces.append(
            Piece(
                f"Callers of changed definitions in {path}",
                f"{listing}\n\n{body}",
                CALLERS,
                source=path,
                outline=listing,
            )
        )
    return pieces


def _test_pieces(f: ChangeFacts, reader: ContextReader) -> list[Piece]:
    pieces: list[Piece] = []
    for path in sorted(f.tests)[:MAX_TESTS]:
        text = reader.text(path)
        if text is None:
            continue
        facts = reader.facts(path)
        pieces.append(
            Piece(
                f"{path} (related tests: {f.tests[path]})",
                text,
                TESTS,
                source=path,
                outline=redact(outline_text(facts))[0] if facts else None,
            )
        )
    return pieces


def pieces_for(
    f: ChangeFacts, request: GatherRequest, reader: ContextReader, *, callers: bool
) -> list[Piece]:
    """The context pieces, in the order a model reads them."""
    pieces: list[Piece] = []
    desc = request.params.get("description")
    if desc:
        pieces.append(Piece("What the change is supposed to do", redact(desc)[0], TARGET))
    pieces.append(
        Piece(
            "Commits",
            _commit_lines(f.cs),
            TARGET,
            # a release's hundreds of commits shrink to their subjects before they go
            outline=_commit_lines(f.cs, bodies=0),
        )
    )
    listing = _file_list(f)
    pieces.append(
        Piece(
            f"Changed files ({f.cs.base[:10]}..{new_side(f.cs)})",
            listing,
            TARGET,
            outline=change_facts.stats_outline(listing.splitlines()),
        )
    )
    deep = [fc for fc in f.shown if language_of(fc.path) and (fc.path in f.new or fc.path in f.old)]
    pieces.append(
        change_facts.facts_piece(
            api_lines(f),
            [f"{c.path}:{c.line} uses `{c.name}` (changed in {c.target})" for c in f.callers]
            if callers
            else None,
            [f"{path} — {why}" for path, why in sorted(f.tests.items())],
            len(deep),
        )
    )
    ranked = f.ranked()
    pieces += [_diff_piece(fc, f) for fc in ranked]
    generated = change_facts.generated_piece(f.generated)
    if generated is not None:
        pieces.append(generated)
    for fc in ranked:
        version = f.new.get(fc.path)
        around = _around_piece(fc, version) if version is not None else None
        if around is not None:
            pieces.append(around)
    if callers:
        pieces += _caller_pieces(f, reader)
    pieces += _test_pieces(f, reader)
    for note in request.params.get("notes", []):
        text = reader.text(note, required=True)
        assert text is not None
        pieces.append(Piece(f"Notes: {note}", text, CHANGES, source=note))
    return pieces


def new_side(cs: ChangeSet) -> str:
    return "the work tree" if cs.uncommitted else cs.head[:10]
