"""A real git repository with secrets planted where people really leave them.

Two services in Python (`api/`, `worker/`), a TypeScript front end (`web/`),
a protocol, shared configuration, and secrets: an AWS key pair in code (also
as a default argument and in a docstring, which reach a model through the
outline), a committed `.env`, an SSH private key, an npm token in `.npmrc`,
a password in `config.yaml`, a GitHub token in TypeScript, gitignored
modules that the code imports, and symbolic links that point at a secret file
and at a file and a folder outside the workspace.

`SECRETS` holds every value that must never reach a model. Some of them are
not secret-shaped (`ENV_SALT`, `LOCAL_SALT`, `OUTSIDE_TEXT`): only the file
exclusions keep them out, so a test that finds none of them proves the
exclusions, not merely the redaction.
"""

from __future__ import annotations

import os
from pathlib import Path

from repos import commit, git, init_repo, write

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ENV_KEY = "sk-live-0d5c7a1e9b3f4a2c8e6d"
ENV_SALT = "salt-only-in-dotenv-5d1e"
SSH_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
NPM_TOKEN = "npm_Xq7RfL2mVd9KpT4sWz8YbN3cHe6JuA1gQo5i"
YAML_PASSWORD = "hunter2-correct-horse-battery"
GH_TOKEN = "ghp_R2d2C3poBb8Luke5Leia9Han0Solo4Yoda7Q"
LOCAL_SALT = "pepper-only-in-gitignored-7f3a9c"
OUTSIDE_TEXT = "outside-the-workspace-41b7e0"
# Changed on the review branch: the new values must not leave either.
NEW_AWS_SECRET = "Zx9y8W7v6U5t4S3r2Q1p0OnMlKjIhGfEdCbA1234"
NEW_NPM_TOKEN = "npm_Rotated0Token1Value2Xyz3Abc4Def5Ghi6j"
NEW_YAML_PASSWORD = "rotated-staple-battery-horse"

SECRETS = [
    AWS_KEY,
    AWS_SECRET,
    ENV_KEY,
    ENV_SALT,
    SSH_BODY,
    NPM_TOKEN,
    YAML_PASSWORD,
    GH_TOKEN,
    LOCAL_SALT,
    OUTSIDE_TEXT,
    NEW_AWS_SECRET,
    NEW_NPM_TOKEN,
    NEW_YAML_PASSWORD,
]

SETTINGS_PY = f'''"""Cloud settings for the API."""

AWS_ACCESS_KEY_ID = "{AWS_KEY}"
AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"


def client(region: str = "eu-west-1", aws_secret_access_key: str = "{AWS_SECRET}"):
    """A storage client; the default key id is {AWS_KEY}."""
    return (region, aws_secret_access_key)
'''

FILES: dict[str, str] = {
    ".gitignore": "api/secrets_local.py\n*.local.ts\n",
    ".env": f"API_KEY={ENV_KEY}\nSESSION_SALT={ENV_SALT}\n",
    "deploy/id_rsa": (
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SSH_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
    ),
    "config.yaml": f'database:\n  host: db.internal\n  password: "{YAML_PASSWORD}"\n',
    "docker-compose.yml": "services:\n  api:\n    build: api\n  worker:\n    build: worker\n",
    "README.md": "# shop\n\nOrders, an API, a worker and a web front end.\n",
    "proto/orders.proto": (
        'syntax = "proto3";\n\npackage shop;\n\nmessage Order {\n  string id = 1;\n}\n'
    ),
    "api/__init__.py": '"""The orders API."""\n',
    "api/settings.py": SETTINGS_PY,
    "api/store.py": (
        '"""Where orders are kept."""\n\n\nclass Store:\n    """Orders by id."""\n\n'
        "    def get(self, order_id: str) -> dict[str, str]:\n"
        '        """The order, or an empty one."""\n        return {}\n'
    ),
    "api/handlers.py": (
        '"""HTTP handlers of the orders API."""\n\n'
        "from api import secrets_local\n"
        "from api.settings import client\n"
        "from api.store import Store\n\n\n"
        "def handle(path: str) -> str:\n"
        '    """Answer one request."""\n'
        "    client()\n"
        "    return str(Store().get(path)) + secrets_local.SIGNING_SALT\n"
    ),
    "api/main.py": (
        '"""Entry point of the API."""\n\nfrom api.handlers import handle\n\n\n'
        "def main() -> None:\n    print(handle('/'))\n"
    ),
    "api/unrelated.py": '"""Nobody imports this."""\n\n\ndef lonely_helper() -> int:\n    return 1\n',
    "api/openapi.yaml": (
        "openapi: 3.0.0\ninfo:\n  title: Orders\n  version: '1'\npaths:\n"
        "  /orders/{id}:\n    get:\n      operationId: getOrder\n"
    ),
    "api/Dockerfile": "FROM python:3.12\nCMD python -m api.main\n",
    "worker/__init__.py": "",
    "worker/main.py": (
        '"""Entry point of the worker."""\n\nfrom api.store import Store\n\n\n'
        "def run() -> None:\n    Store().get('x')\n"
    ),
    "worker/Dockerfile": "FROM python:3.12\nCMD python -m worker.main\n",
    "tests/test_handlers.py": (
        "from api.handlers import handle\n\n\ndef test_handle():\n    assert handle('/')\n"
    ),
    "web/package.json": '{"name": "web", "version": "1.0.0"}\n',
    "web/Dockerfile": "FROM node:22\n",
    "web/.npmrc": (
        f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={NPM_TOKEN}\n"
    ),
    "web/src/model.ts": "export interface Order {\n  id: string;\n}\n",
    "web/src/client.ts": (
        'import { Order } from "./model";\nimport { SALT } from "./config.local";\n\n'
        f'export async function fetchOrder(id: string, token = "{GH_TOKEN}"): Promise<Order> {{\n'
        "  return { id };\n}\n"
    ),
    "web/src/index.ts": 'import { fetchOrder } from "./client";\n\nfetchOrder("1");\n',
    "web/src/client.test.ts": (
        'import { fetchOrder } from "./client";\n\ntest("fetch", () => fetchOrder("1"));\n'
    ),
    "web/src/unrelated.ts": "export const lonelyConstant = 1;\n",
}

# Files that exist but are never sent, and the words their reason must contain.
NEVER_SENT = {
    ".env": "environment file",
    "deploy/id_rsa": "SSH key",
    "web/.npmrc": "token",
    "api/secrets_local.py": "ignored by git",
    "web/src/config.local.ts": "ignored by git",
    "docs/dotenv.txt": "environment file",
    "docs/outside.txt": "outside the workspace",
}


def planted_repo(root: Path) -> Path:
    """The repository, with history on `main` and a `rotate` branch checked out that
    changes every secret-bearing file (for review). `root` must not exist yet."""
    init_repo(root)
    outside = root.parent / f"{root.name}-outside" / "notes.txt"
    outside.parent.mkdir()
    outside.write_text(f"TEXT = {OUTSIDE_TEXT}\n", encoding="utf-8")
    commit(root, "Start the shop", FILES)
    commit(
        root,
        "Read the cloud key from settings",
        {"api/settings.py": SETTINGS_PY + "\nREGION = 1\n"},
    )
    write(
        root,
        {
            "api/secrets_local.py": f'SIGNING_SALT = "{LOCAL_SALT}"\n',
            "web/src/config.local.ts": f'export const SALT = "{LOCAL_SALT}";\n',
        },
    )
    (root / "docs").mkdir()
    os.symlink("../.env", root / "docs/dotenv.txt")
    os.symlink(outside, root / "docs/outside.txt")
    os.symlink(outside.parent, root / "docs/outside")
    commit(root, "Link the docs")
    git(root, "switch", "-q", "-c", "rotate")
    commit(
        root,
        "Rotate the credentials",
        {
            "api/settings.py": SETTINGS_PY.replace(AWS_SECRET, NEW_AWS_SECRET),
            ".env": f"API_KEY={ENV_KEY}-2\nSESSION_SALT={ENV_SALT}-2\n",
            "config.yaml": FILES["config.yaml"].replace(YAML_PASSWORD, NEW_YAML_PASSWORD),
            "web/.npmrc": FILES["web/.npmrc"].replace(NPM_TOKEN, NEW_NPM_TOKEN),
            "deploy/id_rsa": FILES["deploy/id_rsa"].replace("AAAB", "AAAC"),
        },
    )
    return root


def leaks(text: str | bytes) -> list[str]:
    """The planted secret values found in `text` (also JSON-escaped, for request bodies)."""
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return [s for s in SECRETS if s in data or s.replace("/", "\\/") in data]
