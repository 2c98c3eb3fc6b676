"""Typed settings: defaults ← environment ← initializationOptions ← workspace/configuration.

Every source is a plain mapping with the public camelCase keys of design.md.
An invalid value never takes effect: it produces a message naming the key,
the value and what is accepted, and the value from the earlier layer stays.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The one place the default model is named (tests check it is the newest
# Sonnet the pinned anthropic SDK knows).
DEFAULT_MODEL = "claude-sonnet-5-5"

PROVIDERS = ("auto", "anthropic", "openai", "offline")
BATCH_MODES = ("never", "ask", "always")
SEVERITIES = ("error", "warning", "information", "hint")
NOTIFIERS = ("server", "client")  # who tells the user a task finished or failed


@dataclass(frozen=True)
class Settings:
    provider: str = "auto"
    model: str = DEFAULT_MODEL
    max_concurrent_tasks: int = 3
    context_budget_tokens: int = 60000
    batch: str = "never"
    open_artifact_on_completion: bool = True
    min_finding_severity: str = "information"
    min_finding_confidence: str = "medium"
    exclude: tuple[str, ...] = ()
    # Globs of generated or vendored files, over the built-in rules and .gitattributes.
    generated: tuple[str, ...] = ()
    # Model-name prefix -> (input, output) USD per million tokens, over the built-in table.
    prices: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # The longest silence from a model's API before an attempt is given up (and retried).
    request_timeout_seconds: int = 120
    # Rounds an answer cut by the output token limit is asked to go on.
    max_continuations: int = 2
    # What a `change` task runs in its worktree: only ever the user's own setting.
    # Above this estimated cost a task asks before it is sent (None: no cap).
    max_cost_usd_per_task: float | None = None
    test_command: str | None = None
    test_timeout_seconds: int = 600
    worktree_retention_days: int = 7
    # For tests and demos: the offline provider takes this long to "write".
    offline_delay_ms: int = 0
    # "client": the client shows task notifications itself (the VS Code extension),
    # so the server sends no window/showMessage for finished or failed tasks.
    notifications: str = "server"
    extra: Mapping[str, Any] = field(default_factory=dict)
    # public key -> the layer its value came from ("the environment", ...); a key
    # that is absent has its default. Kept so a user can be told why a value holds.
    sources: Mapping[str, str] = field(default_factory=dict)

    def resolved_provider(self, env: Mapping[str, str] | None = None) -> str:
        """`auto` means anthropic when an API key is present, else offline."""
        if self.provider != "auto":
            return self.provider
        env = os.environ if env is None else env
        return "anthropic" if env.get("ANTHROPIC_API_KEY") else "offline"


def _choice(options: tuple[str, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value

    return check


def _int_range(low: int, high: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value

    return check


def _boolean(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _nonempty_str(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _dollars(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = float(value.strip().lstrip("$"))
        except ValueError:
            raise ValueError("expected a number of US dollars, e.g. 0.5") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError("expected a number of US dollars, e.g. 0.5")
    return float(value)


def _globs(value: Any) -> Any:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of glob patterns")
    return tuple(v for v in value if v.strip())


def _prices(value: Any) -> Any:
    problem = ValueError(
        'expected an object like {"claude-sonnet": {"input": 3, "output": 15}} '
        "(USD per million tokens)"
    )
    if not isinstance(value, Mapping):
        raise problem
    out: dict[str, tuple[float, float]] = {}
    for prefix, price in value.items():
        if not isinstance(prefix, str) or not prefix or not isinstance(price, Mapping):
            raise problem
        numbers = [price.get("input"), price.get("output")]
        if not all(
            isinstance(n, int | float) and not isinstance(n, bool) and n >= 0 for n in numbers
        ):
            raise problem
        out[prefix] = (float(numbers[0]), float(numbers[1]))  # type: ignore[arg-type]
    return out


# public key -> (dataclass field, validator)
_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "provider": ("provider", _choice(PROVIDERS)),
    "model": ("model", _nonempty_str),
    "maxConcurrentTasks": ("max_concurrent_tasks", _int_range(1, 64)),
    "contextBudgetTokens": ("context_budget_tokens", _int_range(1000, 2_000_000)),
    "batch": ("batch", _choice(BATCH_MODES)),
    "openArtifactOnCompletion": ("open_artifact_on_completion", _boolean),
    "minFindingSeverity": ("min_finding_severity", _choice(SEVERITIES)),
    "minFindingConfidence": ("min_finding_confidence", _choice(("high", "medium", "low"))),
    "exclude": ("exclude", _globs),
    "generated": ("generated", _globs),
    "prices": ("prices", _prices),
    "requestTimeoutSeconds": ("request_timeout_seconds", _int_range(1, 3600)),
    "maxContinuations": ("max_continuations", _int_range(0, 10)),
    "maxCostUsdPerTask": ("max_cost_usd_per_task", _dollars),
    "testCommand": ("test_command", _nonempty_str),
    "testTimeoutSeconds": ("test_timeout_seconds", _int_range(1, 86_400)),
    "worktreeRetentionDays": ("worktree_retention_days", _int_range(1, 3650)),
    "offlineDelayMs": ("offline_delay_ms", _int_range(0, 3_600_000)),
    "notifications": ("notifications", _choice(NOTIFIERS)),
}

_ENV: dict[str, str] = {"COWORK_PROVIDER": "provider", "COWORK_MODEL": "model"}

# Keys for tests and demos, not in the public table: described only when set.
_INTERNAL = frozenset({"offlineDelayMs", "notifications"})


def env_variables(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The cowork variables set in the environment (empty values are ignored)."""
    env = os.environ if env is None else env
    return {var: env[var] for var in _ENV if env.get(var)}


def merge(
    base: Settings, layer: Mapping[str, Any] | None, source: str
) -> tuple[Settings, list[str]]:
    """Apply one layer of settings; return the result and one message per rejected value.

    Unknown keys are kept in `extra` (later issues' keys, editor-only keys)
    without complaint, so a newer client never breaks an older server.
    """
    if not layer:
        return base, []
    if not isinstance(layer, Mapping):
        return base, [
            f"cowork settings from {source} must be an object, "
            f"got {type(layer).__name__}; ignoring them"
        ]
    changes: dict[str, Any] = {}
    extra = dict(base.extra)
    sources = dict(base.sources)
    errors: list[str] = []
    for key, value in layer.items():
        if value is None:
            continue
        if key not in _FIELDS:
            extra[key] = value
            continue
        name, check = _FIELDS[key]
        try:
            changes[name] = check(value)
            sources[key] = source
        except ValueError as exc:
            kept = getattr(base, name)
            shown = list(kept) if isinstance(kept, tuple) else kept
            errors.append(
                f"cowork.{key} from {source}: {value!r} is not valid ({exc}); "
                f"keeping {shown!r} ({sources.get(key, 'the default')})"
            )
    changes["extra"] = extra
    changes["sources"] = sources
    return dataclasses.replace(base, **changes), errors


def load(
    *layers: tuple[Mapping[str, Any] | None, str], env: Mapping[str, str] | None = None
) -> tuple[Settings, list[str]]:
    """Defaults, then the environment, then each (mapping, source name) layer in order."""
    settings = Settings()
    errors: list[str] = []
    for var, value in env_variables(env).items():
        # One variable at a time, so messages and sources name the variable.
        settings, more = merge(settings, {_ENV[var]: value}, var)
        errors.extend(more)
    for layer, source in layers:
        settings, more = merge(settings, layer, source)
        errors.extend(more)
    return settings, errors


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]" if value else "none"
    return str(value)


def changes(old: Settings, new: Settings) -> list[str]:
    """One line per public key whose value differs, as `describe` writes it plus what it
    was: what a person looks for after editing a setting (the table is long)."""
    out = []
    for key, (name, _) in _FIELDS.items():
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            where = new.sources.get(key, "default")
            out.append(f"  {key}: {_shown(after)} ({where}), was {_shown(before)}")
    return out


def describe(settings: Settings, env: Mapping[str, str] | None = None) -> str:
    """The settings in effect, one line per public key with where its value came from.

    Written to the editor's log on every change, so "why is my setting not
    used?" has an answer without reading code.
    """
    lines: list[str] = []
    for key, (name, _) in _FIELDS.items():
        if key in _INTERNAL and key not in settings.sources:
            continue
        value = _shown(getattr(settings, name))
        if key == "provider" and settings.provider == "auto":
            value += f" (resolves to {settings.resolved_provider(env)})"
        lines.append(f"  {key}: {value} ({settings.sources.get(key, 'default')})")
    if settings.extra:
        lines.append(f"  unknown keys, ignored: {', '.join(sorted(settings.extra))}")
    return "\n".join(lines)
