"""config.load: the layering of settings sources, validation, and the default model."""

from __future__ import annotations

import os
import re
import typing

import anthropic.types

from cowork import config
from cowork.config import DEFAULT_MODEL, Settings

NO_ENV: dict[str, str] = {}


def test_defaults_are_the_documented_ones() -> None:
    settings, errors = config.load(env=NO_ENV)
    assert errors == []
    assert (
        settings.provider,
        settings.model,
        settings.max_concurrent_tasks,
        settings.context_budget_tokens,
        settings.batch,
        settings.open_artifact_on_completion,
        settings.min_finding_severity,
        settings.exclude,
    ) == ("auto", DEFAULT_MODEL, 3, 60000, "never", True, "information", ())
    assert settings.sources == {}


def test_layers_apply_in_order_each_key_on_its_own() -> None:
    env = {"COWORK_PROVIDER": "anthropic", "COWORK_MODEL": "claude-from-env"}
    settings, errors = config.load(
        ({"provider": "offline", "maxConcurrentTasks": 2}, "initializationOptions"),
        ({"maxConcurrentTasks": 5, "batch": "ask"}, "workspace/configuration"),
        env=env,
    )
    assert errors == []
    assert settings.provider == "offline"  # initializationOptions beat the environment
    assert settings.model == "claude-from-env"  # no later layer set it
    assert settings.max_concurrent_tasks == 5  # workspace/configuration beats both
    assert settings.batch == "ask"
    assert settings.sources == {
        "provider": "initializationOptions",
        "model": "COWORK_MODEL",
        "maxConcurrentTasks": "workspace/configuration",
        "batch": "workspace/configuration",
    }


def test_environment_empty_values_and_other_variables_are_ignored() -> None:
    settings, errors = config.load(
        env={"COWORK_PROVIDER": "", "COWORK_MODEL": "", "COWORK_BATCH": "always", "PATH": "/bin"}
    )
    assert errors == []
    assert settings == Settings()


def test_the_process_environment_is_the_default() -> None:
    # `env=None` reads os.environ; compare with an explicit reading rather than
    # assume what the test process's environment holds.
    explicit, _ = config.load(env=dict(os.environ))
    implicit, _ = config.load()
    assert implicit == explicit


def test_null_means_unset_and_keeps_the_earlier_value() -> None:
    settings, errors = config.load(
        ({"model": "claude-x"}, "initializationOptions"),
        ({"model": None}, "workspace/configuration"),
        env=NO_ENV,
    )
    assert errors == []
    assert settings.model == "claude-x"
    assert settings.sources["model"] == "initializationOptions"


def test_an_invalid_value_is_reported_and_the_earlier_layer_kept() -> None:
    settings, errors = config.load(
        ({"maxConcurrentTasks": 2}, "initializationOptions"),
        ({"maxConcurrentTasks": "lots", "provider": "gpt"}, "workspace/configuration"),
        env=NO_ENV,
    )
    assert settings.max_concurrent_tasks == 2
    assert settings.provider == "auto"
    assert errors == [
        "cowork.maxConcurrentTasks from workspace/configuration: 'lots' is not valid "
        "(expected a whole number from 1 to 64); keeping 2 (initializationOptions)",
        "cowork.provider from workspace/configuration: 'gpt' is not valid "
        "(expected one of auto, anthropic, openai, offline); keeping 'auto' (the default)",
    ]


def test_an_invalid_environment_value_names_the_variable() -> None:
    settings, errors = config.load(env={"COWORK_PROVIDER": "gpt"})
    assert settings.provider == "auto"
    assert errors == [
        "cowork.provider from COWORK_PROVIDER: 'gpt' is not valid "
        "(expected one of auto, anthropic, openai, offline); "
        "keeping 'auto' (the default)"
    ]


def test_values_are_checked_by_type_and_range() -> None:
    bad = [
        ("maxConcurrentTasks", 0),
        ("maxConcurrentTasks", 65),
        ("maxConcurrentTasks", True),
        ("maxConcurrentTasks", 2.5),
        ("contextBudgetTokens", 999),
        ("batch", "sometimes"),
        ("openArtifactOnCompletion", "yes"),
        ("openArtifactOnCompletion", 1),
        ("minFindingSeverity", "fatal"),
        ("exclude", [1, 2]),
        ("exclude", {"a": 1}),
        ("generated", [1]),
        ("generated", {"a": 1}),
        ("model", "  "),
        ("model", 5),
        ("provider", "Offline"),
    ]
    for key, value in bad:
        settings, errors = config.load(({key: value}, "initializationOptions"), env=NO_ENV)
        assert settings == Settings(), (key, value)
        assert len(errors) == 1 and errors[0].startswith(f"cowork.{key} from "), errors


def test_strings_from_text_only_clients_are_accepted() -> None:
    settings, errors = config.load(
        (
            {
                "maxConcurrentTasks": "4",
                "openArtifactOnCompletion": "False",
                "exclude": "secrets/**",
                "generated": ["api/gen/**", " "],
                "model": "  claude-x  ",
            },
            "initializationOptions",
        ),
        env=NO_ENV,
    )
    assert errors == []
    assert settings.max_concurrent_tasks == 4
    assert settings.open_artifact_on_completion is False
    assert settings.exclude == ("secrets/**",)
    assert settings.generated == ("api/gen/**",)
    assert settings.model == "claude-x"


def test_a_layer_that_is_not_an_object_is_ignored_with_a_message() -> None:
    layer: typing.Any = ["provider", "offline"]  # what a confused client might send
    settings, errors = config.load((layer, "workspace/configuration"), env=NO_ENV)
    assert settings == Settings()
    assert errors == [
        "cowork settings from workspace/configuration must be an object, got list; ignoring them"
    ]


def test_unknown_keys_are_kept_aside_without_complaint() -> None:
    settings, errors = config.load(
        ({"maxConcurentTasks": 1, "futureKey": {"a": 1}}, "initializationOptions"), env=NO_ENV
    )
    assert errors == []
    assert settings.max_concurrent_tasks == 3
    assert dict(settings.extra) == {"maxConcurentTasks": 1, "futureKey": {"a": 1}}


def test_auto_provider_resolves_against_the_key() -> None:
    assert Settings().resolved_provider({}) == "offline"
    assert Settings().resolved_provider({"ANTHROPIC_API_KEY": "sk-test"}) == "anthropic"
    assert Settings(provider="openai").resolved_provider({"ANTHROPIC_API_KEY": "k"}) == "openai"


def test_describe_says_what_is_in_effect_and_why() -> None:
    settings, _ = config.load(
        ({"maxConcurrentTasks": 1, "typo": 1}, "initializationOptions"),
        env={"COWORK_MODEL": "claude-x"},
    )
    text = config.describe(settings, env={})
    assert "  provider: auto (resolves to offline) (default)" in text
    assert "  model: claude-x (COWORK_MODEL)" in text
    assert "  maxConcurrentTasks: 1 (initializationOptions)" in text
    assert "  openArtifactOnCompletion: true (default)" in text
    assert "  exclude: none (default)" in text
    assert "  unknown keys, ignored: typo" in text
    assert "offlineDelayMs" not in text  # a test knob, shown only when set


# -- the default model --------------------------------------------------------------------

SONNET = re.compile(r"claude-sonnet-(\d+(?:-\d+)*)")


def sonnet_version(name: str) -> tuple[int, ...] | None:
    """(major, minor) of a Sonnet alias; None for other models and for dated snapshots."""
    match = SONNET.fullmatch(name)
    if not match:
        return None
    parts = tuple(int(p) for p in match.group(1).split("-"))
    if any(p >= 10_000_000 for p in parts):  # a -YYYYMMDD snapshot of an alias listed too
        return None
    return parts + (0,) * (2 - len(parts))  # "claude-sonnet-5" is 5.0


def test_default_model_is_the_newest_sonnet_the_pinned_sdk_names() -> None:
    [literal, _str] = typing.get_args(anthropic.types.Model)
    names = typing.get_args(literal)
    sonnets = {name: v for name in names if (v := sonnet_version(name)) is not None}
    assert sonnets, f"no Sonnet in anthropic.types.Model: {names}"
    newest = max(sonnets, key=lambda name: sonnets[name])
    assert newest == DEFAULT_MODEL, f"the SDK's newest Sonnet is {newest}; versions: {sonnets}"


def test_sonnet_versions_are_parsed_as_numbers() -> None:
    assert sonnet_version("claude-sonnet-4-5") == (4, 5)
    assert sonnet_version("claude-sonnet-5") == (5, 0)
    assert sonnet_version("claude-sonnet-4-5-20250929") is None
    assert sonnet_version("claude-opus-5-5") is None
    assert sonnet_version("claude-sonnet-4-10") == (4, 10)  # compared as numbers: 4.10 > 4.9


def test_changes_name_what_moved_and_from_where() -> None:
    from cowork import config

    old, _ = config.load()
    new, _ = config.load(({"contextBudgetTokens": 1000}, "workspace/configuration"))
    assert config.changes(old, new) == [
        "  contextBudgetTokens: 1000 (workspace/configuration), was 60000"
    ]
    assert config.changes(new, new) == []
