"""An architecture brief of some services of a repository lists the callers in its other
services (not given) as edges with evidence — the most connected first, the rest
counted — and records only the files that call in (boutique.py plus many small
clients; the real server, the real Anthropic SDK to the local fake)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from boutique import boutique_repo, line_of
from conftest import architecture_of, server_env
from cowork.artifacts import read_provenance
from cowork.context import integration
from fakeapi import FakeAnthropic
from repos import commit
from test_integration_points import _texts

KEY = "sk-ant-test-outside-0123456789abcdef"
GIVEN = ["src/cartservice", "src/checkoutservice"]
JS, PY = "src/frontend/server.js", "src/emailservice/email_client.py"
CLIENTS = 12


def client(i: int) -> str:
    return (
        f'package main\n\nimport pb "example/genproto"\n\n// Client {i} reads carts.\n'
        "func main() {\n\tc := pb.NewCartServiceClient(conn)\n\tc.GetCart(ctx, nil)\n}\n"
    )


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = boutique_repo(tmp_path / "boutique")
    files = {f"src/client{i:02}/main.go": client(i) for i in range(CLIENTS)}
    files["src/frontend/unrelated.js"] = "module.exports = { pad: (s) => s.padStart(2) };\n"
    commit(root, "Many small clients", files)
    return root


async def brief(root: Path, env: dict[str, str], init: dict[str, object]) -> dict[str, Any]:
    return await architecture_of(root, list(GIVEN), env, init)


def callers() -> list[str]:
    """The edges from outside the given paths the fixture documents, most connected first."""
    return [
        f"`src/emailservice` → `src/checkoutservice`: gRPC `CheckoutService.PlaceOrder` "
        f"(`{PY}:{line_of(PY, 'stub.PlaceOrder(')}`)",
        f"`src/emailservice` → `src/checkoutservice`: env `CHECKOUT_SERVICE_ADDR` "
        f"(`{PY}:{line_of(PY, 'CHECKOUT_SERVICE_ADDR')}`)",
        f"`src/frontend` → `src/cartservice`: gRPC `CartService.GetCart` "
        f"(`{JS}:{line_of(JS, 'cart.getCart(')}`)",
        f"`src/frontend` → `src/cartservice`: env `CART_SERVICE_ADDR` "
        f"(`{JS}:{line_of(JS, 'process.env.CART_SERVICE_ADDR')}`)",
    ] + [
        f"`src/client{i:02}` → `src/cartservice`: gRPC `CartService.GetCart` "
        f"(`src/client{i:02}/main.go:8`)"
        for i in range(6)
    ]


async def test_callers_in_other_services_are_edges_bounded_and_recorded(shop: Path) -> None:
    done = await brief(shop, server_env(), {})
    artifact = Path(done["artifactUri"].removeprefix("file://"))
    report = artifact.read_text()
    section = report[report.index("### Callers outside the given paths") :]
    section = section[: section.index("\n###")]
    listed = [line.removeprefix("- ") for line in section.splitlines() if line.startswith("- `")]
    assert listed == callers()
    # Six of the twelve clients are listed; the other six are counted, not dropped silently.
    assert "- … and 6 more edges from 6 files outside the given paths" in section
    # A manifest names the same services as their folders: one name per service.
    assert "- `src/frontend` → `src/cartservice`: env `CART_SERVICE_ADDR` (compose)" in report
    assert "`frontend` →" not in report
    # The HTTP routes of services not given are not theirs to list.
    assert "GET /api/cart/:userId" not in report
    files = {f["path"] for f in read_provenance(artifact)["context"]["files"]}
    assert {JS, PY, "src/client00/main.go"} <= files
    # Looked at, not used: a file outside that calls nothing, and the clients not listed.
    assert "src/frontend/unrelated.js" not in files
    assert "src/client11/main.go" not in files


async def test_the_model_is_sent_the_outside_callers(shop: Path) -> None:
    with FakeAnthropic(text="## Services\n\nA draft.\n") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        await brief(shop, env, {"provider": "anthropic"})
    (request,) = [r for r in api.requests if r.route == "/v1/messages"]
    text = "\n".join(_texts(request.json))
    start = text.index("Callers outside the given paths")
    assert start < text.index("Public outline of src/cartservice")
    for edge in callers():
        assert edge in text[start:], edge
    assert "padStart" not in text  # outside code that calls in is cited, never sent


def test_a_route_declared_by_several_services_names_none_of_them() -> None:
    texts = {
        "a/main.go": 'r.HandleFunc("/", home).Methods("GET")\n',
        "b/app.py": '@app.get("/")\ndef root(): ...\n@app.get("/orders")\ndef orders(): ...\n',
        "c/load.py": 'client.get("/")\nclient.get("/orders")\nrequests.get("http://a/")\n',
    }
    wired = integration.gather(
        [(p, "go" if p.endswith(".go") else "python") for p in texts],
        [],
        [],
        texts.get,
        lambda p: p.split("/")[0],
        lambda p: None,
        {"a": "a", "b": "b", "c": "c"},
    )
    # `GET /` is both a's and b's: only the host says which; `/orders` is b's alone.
    assert [c.line() for c in wired.connections] == [
        "`c` → `a`: HTTP `GET /` (`c/load.py:3`)",
        "`c` → `b`: HTTP `GET /orders` (`c/load.py:2`)",
    ]
