"""What never leaves the machine, and redaction of secret-looking strings in what does.

Two layers. Files: `.env*`, private keys and certificates, credential files
and the user's `exclude` globs are never read into context (gitignored files
are already absent from the git inventory). Text: in every file that is
included, strings shaped like keys, tokens, private key blocks and literal
password assignments are replaced by a marker naming what was there.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pathspec

# gitignore-style patterns, with the reason shown in provenance.
_SENSITIVE: list[tuple[str, str]] = [
    (".env", "environment file (may hold secrets)"),
    (".env.*", "environment file (may hold secrets)"),
    ("*.env", "environment file (may hold secrets)"),
    ("*.pem", "key or certificate"),
    ("*.key", "private key"),
    ("*.p12", "key store"),
    ("*.pfx", "key store"),
    ("*.jks", "key store"),
    ("*.keystore", "key store"),
    ("*.crt", "certificate"),
    ("*.cer", "certificate"),
    ("*.der", "certificate"),
    ("id_rsa*", "SSH key"),
    ("id_dsa*", "SSH key"),
    ("id_ecdsa*", "SSH key"),
    ("id_ed25519*", "SSH key"),
    ("*.ppk", "SSH key"),
    (".netrc", "credential file"),
    ("_netrc", "credential file"),
    (".pgpass", "credential file"),
    (".git-credentials", "credential file"),
    (".htpasswd", "credential file"),
    (".pypirc", "credential file"),
    (".aws/credentials", "cloud credentials"),
    (".aws/config", "cloud credentials"),
    ("application_default_credentials.json", "cloud credentials"),
    ("credentials.db", "cloud credentials"),
    ("access_tokens.db", "cloud credentials"),
    (".azure/**", "cloud credentials"),
    (".kube/config", "cluster credentials"),
    ("kubeconfig", "cluster credentials"),
    (".docker/config.json", "registry credentials"),
    ("*.tfstate", "infrastructure state (holds secrets)"),
    ("*.tfstate.backup", "infrastructure state (holds secrets)"),
    ("secrets.yml", "secrets file"),
    ("secrets.yaml", "secrets file"),
    ("secrets.json", "secrets file"),
]

# Files that are fine unless they carry a token.
_TOKEN_FILES = {".npmrc", ".yarnrc", ".yarnrc.yml", "pip.conf", ".pip.conf"}
_TOKEN_LINE = re.compile(r"(_authToken|_auth|npmAuthToken|password|token)\s*[=:]", re.I)

_sensitive = [(pathspec.GitIgnoreSpec.from_lines([p]), why) for p, why in _SENSITIVE]


@dataclass(frozen=True)
class Redaction:
    line: int
    kind: str


def _any_sensitive() -> re.Pattern[str] | None:
    """One regular expression matching where any built-in rule might: most paths are
    cleared by one search instead of a pathspec match per rule (a new process judges
    every file of the workspace once). None when the rules' own expressions cannot be
    joined; the rules decide anyway when it matches."""
    parts = []
    for spec, _ in _sensitive:
        for pattern in spec.patterns:
            regex = getattr(pattern, "regex", None)
            if regex is None or not isinstance(regex.pattern, str) or "(?P=" in regex.pattern:
                return None
            parts.append("(?:" + re.sub(r"\(\?P<\w+>", "(?:", regex.pattern) + ")")
    return re.compile("|".join(parts))


_ANY_SENSITIVE = _any_sensitive()


@functools.lru_cache(maxsize=1 << 17)
def _sensitive_reason(rel: str) -> str | None:
    """The built-in path rules' verdict on `rel` (memoised: it depends on the path alone)."""
    # (pathspec first strips a leading "./" or "/": such paths take the long way)
    if _ANY_SENSITIVE is not None and rel[:1] not in "./" and not _ANY_SENSITIVE.search(rel):
        return None
    for spec, why in _sensitive:
        if spec.match_file(rel):
            return why
    return None


class Exclusions:
    """Decides which workspace files are never sent, and why."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.extra = tuple(extra)
        self._extra = pathspec.GitIgnoreSpec.from_lines(self.extra) if self.extra else None
        self._extra_verdict: dict[str, bool] = {}  # by path: the same paths are asked again

    @staticmethod
    def needs_text(rel: str) -> bool:
        """Whether `reason` can only judge `rel` with its text (config that may hold a token)."""
        return rel.rpartition("/")[2] in _TOKEN_FILES

    def reason(self, rel: str, text: str | None = None) -> str | None:
        """Why `rel` must not be sent, or None. `text` lets token-bearing config be caught."""
        why = _sensitive_reason(rel)
        if why is not None:
            return why
        if self._extra is not None and self._extra_matches(rel):
            return "matches the cowork.exclude setting"
        if rel.rpartition("/")[2] in _TOKEN_FILES and text is not None and _TOKEN_LINE.search(text):
            return "package manager config with a token"
        return None

    def _extra_matches(self, rel: str) -> bool:
        assert self._extra is not None
        hit = self._extra_verdict.get(rel)
        if hit is None:
            hit = self._extra_verdict[rel] = self._extra.match_file(rel)
        return hit


# An optional type annotation between a name and its value: `key: str = "…"`.
_ANNOTATION = r"(?:\s*:\s*[\w\[\]., |]{1,60}?\s*(?==))?"
# A value that is a reference to a secret kept elsewhere, not the secret itself.
_REFERENCE = r"(?!\$|\{\{|%\()"

# (kind, pattern). Group "secret" is what gets replaced when present, else the whole match.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "private key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r".*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
            re.S,
        ),
    ),
    (
        # A block without its end (cut by a diff's context, or pasted in part).
        "private key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            # PEM headers (Proc-Type, DEK-Info) and a blank line, then base64 lines,
            # each maybe prefixed as in a diff
            r"(?:\n[ +\-]?[A-Za-z\-]+: [^\n]*)*(?:\n[ +\-]?)?(?:\n[ +\-]?[A-Za-z0-9+/=]{8,})+"
        ),
    ),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    (
        "AWS secret access key",
        re.compile(
            r"(?i)aws_?secret_?(?:access_?)?key[\"']?" + _ANNOTATION + r"\s*(?::=|=>|[=:])\s*"
            r"[\"']?(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
    ),
    ("Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}")),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    (
        # .npmrc / .yarnrc: `//registry/:_authToken=…`, `_auth = …`, `npmAuthToken: …`
        "registry credential",
        re.compile(
            r"(?i)(?:_authToken|_auth|_password|npmAuthToken|npmAuthIdent)\s*[=:]\s*[\"']?"
            + _REFERENCE
            + r"(?P<secret>[^\s\"']{6,})"
        ),
    ),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("Stripe key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    (
        "JSON web token",
        re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ),
    (
        "password in URL",
        re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:(?P<secret>[^\s@/]{3,})@"),
    ),
    (
        # `password = "…"`, `"password": "…"` (JSON), `password: str = "…"` (annotated)
        "secret assignment",
        re.compile(
            r"(?i)\b[\w.\-]*(?:password|passwd|pwd|secret|token|api_?key|access_?key|auth_?key|"
            r"private_?key|client_?secret|credentials?)[\w.\-]*[\"']?"
            + _ANNOTATION
            + r"\s*(?::=|=>|[=:])\s*(?P<q>[\"'`])"
            + _REFERENCE
            + r"(?P<secret>[^\"'`\s]{4,})(?P=q)"
        ),
    ),
    (
        "secret assignment",
        re.compile(
            # env-file style: UPPER_CASE names, a bare token-like value (not code such as f(x))
            r"(?m)^\s*(?:export\s+)?[A-Z0-9_.\-]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY)"
            r"[A-Z0-9_.\-]*\s*[=:]\s*(?P<secret>[A-Za-z0-9_\-+/=.~]{6,})\s*$"
        ),
    ),
    (
        "secret assignment",
        re.compile(
            # YAML style: `password: hunter2` on a line of its own. Values of letters only
            # are left (`token: TokenType`, `secret: true`), as are references
            # (`${DB_PASSWORD}`); `=` is not taken, as `password = new_password` is code.
            r"(?im)^[ \t]*[\w.\-]*(?:password|passwd|secret|token|api_?key|access_?key)[\w.\-]*"
            r"[ \t]*:[ \t]*" + _REFERENCE + r"(?![A-Za-z]+[ \t]*$)"
            r"(?P<secret>[^\s#;'\"`{}\[\](),]{6,})[ \t]*(?:#.*)?$"
        ),
    ),
]


# For each pattern of _PATTERNS, in order: lower-case strings of which one occurs in
# every text the pattern can match. A pattern is skipped when the (lower-cased) text
# holds none of them, which keeps most texts from being scanned 18 times.
_KEYWORDS = (
    "passw",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "accesskey",
    "auth_key",
    "authkey",
    "private_key",
    "privatekey",
    "credential",
)
_NEEDS: list[tuple[str, ...]] = [
    ("-----begin",),
    ("-----begin",),
    ("akia", "asia", "abia", "acca"),
    ("aws",),
    ("sk-ant-",),
    ("sk-",),
    ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ("glpat-",),
    ("npm_",),
    ("_auth", "_password", "npmauth"),
    ("xox",),
    ("aiza",),
    ("_live_", "_test_"),
    ("eyj",),
    ("://",),
    _KEYWORDS,
    ("passw", "secret", "token", "api_key", "apikey", "access_key", "accesskey"),
    ("passw", "secret", "token", "api_key", "apikey", "access_key", "accesskey"),
]
assert len(_NEEDS) == len(_PATTERNS)
_ALL_NEEDS = frozenset(n for needs in _NEEDS for n in needs)
# The letters other than A-Z that `(?i)` matches to an ASCII letter (dotted and dotless i, long s,
# the Kelvin sign); lower() alone would keep them, and a literal would look absent.
_FOLD_TO_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


# The same texts are redacted at every gathering (files, mostly unchanged, and the pieces
# made of them): results for recent texts of ordinary size are kept. At most 2,048 texts
# of 12,000 characters, each held with its redacted copy: about 50 MB at worst for ASCII
# text, a few MB usually.
_CACHED_CHARS = 12_000
_BIG: OrderedDict[bytes, list[tuple[int, int, str]]] = OrderedDict()
_BIG_KEPT = 8_192
_BIG_LOCK = threading.Lock()


# Large texts a redaction gave lately, by identity (held, so an id is not reused): a
# recipe redacts what it sends and the gatherer redacts it again as a last defence.
_recent_large: dict[int, str] = {}
_recent_lock = threading.Lock()
# A summary reads a module, its tests and the files beside it: dozens of large texts.
_RECENT_KEPT = 256


def known_clean(text: str) -> None:
    """Tell `redact` that `text` is what a redaction gave (its spans applied from the
    index on disk), so that the last line of defence does not search it again."""
    if len(text) > _CACHED_CHARS:
        with _recent_lock:
            _recent_large[id(text)] = text
            while len(_recent_large) > _RECENT_KEPT:
                _recent_large.pop(next(iter(_recent_large)))


def redact(text: str) -> tuple[str, list[Redaction]]:
    """`text` with secret-looking strings replaced by `[REDACTED: kind]`, and where they were."""
    if len(text) > _CACHED_CHARS:
        with _recent_lock:
            if _recent_large.get(id(text)) is text:
                return text, []  # the very text a redaction just gave: it is clean
        # Larger texts are remembered by content hash (hashing costs far less than the
        # search), with only their spans: the text itself is not kept.
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        with _BIG_LOCK:
            known = _BIG.get(digest)
        if known is None:
            known = spans(text)
            with _BIG_LOCK:
                _BIG[digest] = known
                while len(_BIG) > _BIG_KEPT:
                    _BIG.popitem(last=False)
        clean, found = apply_spans(text, known)
        known_clean(clean)
        return clean, found
    small, kept = _redact_cached(text)
    return small, list(kept)


def redact_kept(
    text: str, kept: Callable[[str, str], list[tuple[int, int, str]]]
) -> tuple[str, list[Redaction]]:
    """`redact(text)`, a large text's spans asked of `kept(sha256, text)` (the index
    on disk, which remembers them by content hash across processes) instead of the
    memory of this process alone."""
    if len(text) <= _CACHED_CHARS:
        return redact(text)
    with _recent_lock:
        if _recent_large.get(id(text)) is text:
            return text, []
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    clean, found = apply_spans(text, kept(sha, text))
    known_clean(clean)
    return clean, found


@functools.lru_cache(maxsize=2048)
def _redact_cached(text: str) -> tuple[str, tuple[Redaction, ...]]:
    clean, found = _redact(text)
    return clean, tuple(found)


def _redact(text: str) -> tuple[str, list[Redaction]]:
    return apply_spans(text, spans(text))


def spans(text: str) -> list[tuple[int, int, str]]:
    """Where `redact` replaces what in `text`: (start, end, kind), in order. Plain data,
    so that it can be kept by content hash (the index on disk)."""
    found: list[tuple[int, int, str]] = []
    low = (text if text.isascii() else text.translate(_FOLD_TO_ASCII)).lower()
    present = {n for n in _ALL_NEEDS if n in low}
    for (kind, pattern), needs in zip(_PATTERNS, _NEEDS, strict=True):
        if present.isdisjoint(needs):
            continue
        for m in pattern.finditer(text):
            start, end = (
                m.span("secret")
                if "secret" in pattern.groupindex and m.group("secret")
                else m.span()
            )
            if any(s < end and start < e for s, e, _ in found):
                continue  # already covered by an earlier, more specific pattern
            found.append((start, end, kind))
    found.sort()
    return found


def apply_spans(text: str, found: list[tuple[int, int, str]]) -> tuple[str, list[Redaction]]:
    """`text` with the `spans` replaced by markers, and where they were."""
    if not found:
        return text, []
    out: list[str] = []
    redactions: list[Redaction] = []
    pos = 0
    for start, end, kind in found:
        out.append(text[pos:start])
        out.append(f"[REDACTED: {kind}]")
        redactions.append(Redaction(text.count("\n", 0, start) + 1, kind))
        pos = end
    out.append(text[pos:])
    return "".join(out), redactions
