"""Secrets never leave: sensitive files are excluded, secret-looking strings redacted."""

from __future__ import annotations

import pytest

from cowork.context.privacy import Exclusions, redact

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PLANTED = {
    "aws key": f"KEY = '{AWS_KEY}'",
    "aws secret": f"aws_secret_access_key = {AWS_SECRET}",
    "anthropic": "client = Client('sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345')",
    "github": "GH = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'",
    "password": 'db.connect(password="correct-horse-battery")',
    "url": "URL = 'https://deploy:Sup3rS3cret@example.com/repo.git'",
    "env line": "export STRIPE_SECRET=rk_live_abcdefghijklmnop1234",
    "jwt": "t = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'",
    "private key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----",
}
SECRET_VALUES = [
    AWS_KEY,
    AWS_SECRET,
    "sk-ant-api03",
    "ghp_abcdef",
    "correct-horse-battery",
    "Sup3rS3cret",
    "rk_live_abcdef",
    "eyJhbGciOiJIUzI1NiJ9",
    "b3BlbnNzaC1rZXktdjEAAAA",
]


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_each_planted_secret_is_redacted(name: str) -> None:
    text, found = redact(f"# {name}\n{PLANTED[name]}\n")
    assert found and found[0].line == 2
    assert not [v for v in SECRET_VALUES if v in text], text
    assert "[REDACTED:" in text


def test_code_that_merely_mentions_secrets_is_left_alone() -> None:
    code = (
        "token = get_token()\nself.password = password\nif secret is None:\n"
        "    raise ValueError('no api_key given')\nTOKEN_URL = base + '/token'\n"
    )
    assert redact(code) == (code, [])


@pytest.mark.parametrize(
    "path,why",
    [
        (".env", "environment file"),
        ("services/api/.env.production", "environment file"),
        ("deploy/id_rsa", "SSH key"),
        ("certs/server.pem", "key or certificate"),
        ("tls/server.key", "private key"),
        ("home/.netrc", "credential file"),
        (".aws/credentials", "cloud credentials"),
        ("infra/terraform.tfstate", "infrastructure state"),
    ],
)
def test_sensitive_files_are_excluded_with_a_reason(path: str, why: str) -> None:
    reason = Exclusions().reason(path)
    assert reason is not None and why in reason


def test_exclude_globs_and_token_bearing_npmrc() -> None:
    rules = Exclusions(["generated/**", "*.sql"])
    assert rules.reason("generated/a/b.py") == "matches the cowork.exclude setting"
    assert rules.reason("db/dump.sql") == "matches the cowork.exclude setting"
    assert rules.reason("src/app.py") is None
    assert rules.reason(".npmrc", "registry=https://registry.npmjs.org/\n") is None
    assert rules.reason(".npmrc", "//registry.npmjs.org/:_authToken=npm_abc\n") is not None
