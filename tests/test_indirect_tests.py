"""Summaries find the tests that exercise a module through its package (a facade or a
server), marked indirect, instead of reporting "No tests found"."""

from __future__ import annotations

from pathlib import Path

from conftest import server_env, summarize_once
from repos import commit, init_repo

FILES = {
    "shop/__init__.py": '"""The shop."""\n\nfrom shop.pricing import discount\n\n__all__ = ["discount"]\n',
    "shop/pricing.py": (
        '"""Prices and discounts."""\n\n\ndef discount(total: float, code: str) -> float:\n'
        '    """The total after the code\'s discount."""\n'
        '    return total * 0.9 if code == "TEN" else total\n'
    ),
    "shop/server.py": (
        '"""The HTTP facade."""\n\nfrom shop import pricing\n\n\n'
        "def checkout(total: float, code: str) -> float:\n"
        '    """Charge the basket."""\n    return pricing.discount(total, code)\n'
    ),
    "shop/lonely.py": '"""Nobody tests this."""\n\n\ndef orphan() -> int:\n    return 1\n',
    "tests/test_server.py": (
        "from shop import discount\nfrom shop.server import checkout\n\n\n"
        "def test_checkout_applies_the_discount() -> None:\n"
        '    assert checkout(100, "TEN") == discount(100, "TEN") == 90\n'
    ),
    "store/store.go": "package store\n\n// Put stores v.\nfunc Put(k, v string) {}\n",
    "store/api.go": 'package store\n\n// Handle serves a request.\nfunc Handle() { Put("a", "b") }\n',
    "store/api_test.go": (
        'package store\n\nimport "testing"\n\nfunc TestHandle(t *testing.T) {\n'
        '\tHandle()\n\tPut("k", "v")\n}\n'
    ),
    "go.mod": "module example.com/shop\n\ngo 1.21\n",
}


def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "shop")
    commit(root, "Shop", FILES)
    return root


def report(done: dict[str, str]) -> str:
    assert done["state"] == "done", done["error"]
    return Path(done["artifactUri"].removeprefix("file://")).read_text()


async def test_a_module_tested_through_its_package_has_indirect_tests(tmp_path: Path) -> None:
    root = repo(tmp_path)
    done, _ = await summarize_once(root, server_env(), rel="shop/pricing.py")
    text = report(done)
    assert "- `tests/test_server.py` (indirect: imports its package and uses `discount`)" in text
    assert "No tests found" not in text and "No tests were found" not in text

    done, _ = await summarize_once(root, server_env(), rel="store/store.go")
    text = report(done)
    assert "- `store/api_test.go` (indirect: imports its package and uses `Put`)" in text

    done, _ = await summarize_once(root, server_env(), rel="shop/lonely.py")
    assert "No tests found (by import, by name or through its package)." in report(done)
