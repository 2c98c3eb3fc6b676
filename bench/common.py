"""What the benchmark scripts share: a deterministic git identity and the vocabulary
their generated repositories are named from."""

from __future__ import annotations

import os

# Fixed author and no user or system git config, so generated repositories are
# reproducible and a developer's git settings cannot change what is measured.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

DOMAINS = [
    "billing",
    "catalog",
    "orders",
    "shipping",
    "accounts",
    "search",
    "reports",
    "payments",
    "inventory",
    "notify",
    "auth",
    "audit",
]
AREAS = ["api", "models", "services", "storage", "events", "jobs", "views", "rules"]
CORE = ["util", "models", "errors", "config", "events", "clock", "ids", "money"]
WORDS = [
    "record",
    "batch",
    "entry",
    "ledger",
    "quote",
    "order",
    "line",
    "item",
    "event",
    "price",
    "rate",
    "total",
    "window",
    "cursor",
    "token",
    "policy",
    "limit",
    "route",
]
