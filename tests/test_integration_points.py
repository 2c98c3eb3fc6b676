"""Integration points between services, on a polyglot services repository (boutique.py):
the real server writes the offline artifact, and the same brief through the real
Anthropic SDK to the local fake shows what a model is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from boutique import PROTO, SERVICES, boutique_repo, line_of
from conftest import architecture_of, cowork, server_env, start_session, stop_session
from fakeapi import FakeAnthropic
from repos import commit, git

KEY = "sk-ant-test-0123456789abcdef"
GO, CS, JS, PY = (
    "src/checkoutservice/main.go",
    "src/cartservice/services/CartService.cs",
    "src/frontend/server.js",
    "src/emailservice/email_client.py",
)
COMPOSE, K8S = "docker-compose.yml", "kubernetes-manifests/services.yaml"
CHECKOUT, CART, FRONTEND, EMAIL = SERVICES

# Names only generated code defines: never outlined, never sent.
GENERATED_NAMES = ("GetUserId", "ProtoReflect", "add_CartServiceServicer_to_server", "ListFields")


def at(rel: str, needle: str) -> str:
    return f"{rel}:{line_of(rel, needle)}"


def edges() -> list[str]:
    """Every edge the fixture documents, as the report writes it."""
    cart_value = 'value: "cartservice:7070"'
    return [
        f"`{CHECKOUT}` → `{CART}`: gRPC `CartService.GetCart` (`{at(GO, '.GetCart(')}`)",
        f"`{FRONTEND}` → `{CART}`: gRPC `CartService.GetCart` (`{at(JS, 'cart.getCart(')}`)",
        f"`{EMAIL}` → `{CHECKOUT}`: gRPC `CheckoutService.PlaceOrder` "
        f"(`{at(PY, 'stub.PlaceOrder(')}`)",
        f"`{EMAIL}` → `{FRONTEND}`: HTTP `GET /api/cart/` (`{at(PY, 'requests.get(')}`)",
        f"`{CHECKOUT}` → `{CART}`: env `CART_SERVICE_ADDR` (`{at(GO, 'CART_SERVICE_ADDR')}`)",
        f"`{FRONTEND}` → `{CART}`: env `CART_SERVICE_ADDR` "
        f"(`{at(JS, 'process.env.CART_SERVICE_ADDR')}`)",
        f"`{EMAIL}` → `{CHECKOUT}`: env `CHECKOUT_SERVICE_ADDR` "
        f"(`{at(PY, 'CHECKOUT_SERVICE_ADDR')}`)",
        f"`{CHECKOUT}` → `{CART}`: env `CART_SERVICE_ADDR` (compose) "
        f"(`{at(COMPOSE, 'CART_SERVICE_ADDR: cartservice')}`)",
        f"`{FRONTEND}` → `{CART}`: env `CART_SERVICE_ADDR` (compose) "
        f"(`{at(COMPOSE, '- CART_SERVICE_ADDR=')}`)",
        f"`{CHECKOUT}` → `{CART}`: env `CART_SERVICE_ADDR` (Kubernetes) (`{at(K8S, cart_value)}`)",
        f"`{FRONTEND}` → `{CART}`: env `CART_SERVICE_ADDR` (Kubernetes) "
        f"(`{at(K8S, 'cartservice.default.svc')}`)",
        f"`{CHECKOUT}` → `{CART}`: compose `depends_on` (`{at(COMPOSE, '- cartservice')}`)",
        f"`{EMAIL}` → `{CHECKOUT}`: compose `links` (`{at(COMPOSE, '- checkoutservice')}`)",
    ]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return boutique_repo(tmp_path / "boutique")


async def brief(root: Path, env: dict[str, str], init: dict[str, object]) -> dict[str, Any]:
    return await architecture_of(root, list(SERVICES), env, init)


async def test_architecture_brief_of_four_services_finds_every_edge(shop: Path) -> None:
    done = await brief(shop, server_env(), {})
    report = Path(done["artifactUri"].removeprefix("file://")).read_text()

    for edge in edges():
        assert f"- {edge}" in report, edge
    # Each protocol with the files that serve it and those that call it.
    assert "- gRPC `CartService` (`protos/demo.proto:8`): AddItem, GetCart, EmptyCart" in report
    served = at("src/cartservice/Program.cs", "MapGrpc")
    assert f"  - served by: `{served}`, `{at(CS, 'CartServiceBase')}`" in report
    assert (
        f"  - called by: `{at(GO, 'NewCartServiceClient')}`, `{at(JS, 'new shopProto')}`" in report
    )
    # The HTTP routes each service declares.
    assert f"- `{FRONTEND}`: `GET /api/cart/:userId` (`{at(JS, 'app.get(')}`)" in report
    program = "src/cartservice/Program.cs"
    assert f"- `{CART}`: `GET /_healthz` (`{at(program, 'MapGet')}`)" in report
    # Entry points say what they start.
    assert f"Entry points: `{GO}` (registers gRPC `CheckoutService`; starts gRPC server)." in report
    assert "Entry points: `src/cartservice/Program.cs` (registers gRPC `CartService`" in report
    # Deployment facts, and the notes on what could not be read.
    assert "Kubernetes Service `cartservice` (service `src/cartservice`): ports 7070" in report
    assert "`protos/legacy/broken.proto` does not parse" in report
    assert f"`{K8S}` is templated" in report
    # C# and CommonJS services are outlined; CommonJS exports decide what is public.
    assert "(none found)" not in report
    assert (
        f"`public class CartService : Hipstershop.CartService.CartServiceBase` (`{CS}:8`)" in report
    )
    assert "`function getCartHandler(req, res)`" in report and "internalOnly" not in report
    assert "`exports.formatMoney = function (units)`" in report
    # Dependencies named whole and sorted.
    assert (
        "Dependencies, third-party: `github.com/sirupsen/logrus`, `google.golang.org/grpc`."
        in report
    )
    assert "Dependencies, standard library: `context`, `fmt`, `net`, `os`." in report
    assert "Dependencies, third-party: `@grpc/grpc-js`, `@grpc/proto-loader`, `express`." in report
    assert "Dependencies, third-party: `Grpc.Core`, `Hipstershop`, `StackExchange.Redis`." in report
    # Generated stubs are named as such, and none of their definitions is outlined.
    assert "`src/checkoutservice/genproto/demo.pb.go`: generated" in report
    assert "`src/emailservice/demo_pb2_grpc.py`: generated" in report
    assert "Dependencies, workspace: `demo_pb2 (generated)`, `demo_pb2_grpc (generated)`." in report
    assert (
        "Dependencies, workspace: `github.com/example/boutique/checkoutservice/genproto`." in report
    )
    for name in GENERATED_NAMES:
        assert name not in report, name


async def test_the_model_is_sent_the_integration_points_before_the_outlines(shop: Path) -> None:
    with FakeAnthropic(text="## Services\n\nA draft.\n") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        await brief(shop, env, {"provider": "anthropic"})
    sent = [r for r in api.requests if r.route == "/v1/messages"]
    assert len(sent) == 1
    text = "\n".join(_texts(sent[0].json))
    start = text.index("Integration points between services")
    assert start < text.index(f"Public outline of {CHECKOUT}")
    for edge in edges():
        assert edge in text, edge
    assert "public class CartService" in text and "getCartHandler" in text
    assert "service CartService {" in text  # the shared contract itself
    # No generated definition is outlined or sent as part of the services' context.
    services_part = text[start:]
    for name in GENERATED_NAMES:
        assert name not in services_part, name


def _texts(body: object) -> list[str]:
    """Every string in a request body (system blocks, messages), in order."""
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        return [t for v in body.values() for t in _texts(v)]
    if isinstance(body, list):
        return [t for v in body for t in _texts(v)]
    return []


def test_json_roundtrip_of_texts() -> None:
    assert _texts(json.loads('{"a": ["x", {"b": "y"}]}')) == ["x", "y"]


async def test_research_fills_the_fit_column_with_facts(shop: Path) -> None:
    named = [PY, JS]
    session = await start_session(shop, env=server_env())
    try:
        answer = await session.command(
            "cowork.research",
            {
                "question": "Should the cart move to Kafka events?",
                "options": ["gRPC", "Redis", "Kafka"],
                "uris": [(shop / n).as_uri() for n in named],
            },
        )
        done = await session.wait_for(answer["taskId"], "done", "failed")
    finally:
        await stop_session(session)
    assert done["state"] == "done", done["error"]
    report = Path(done["artifactUri"].removeprefix("file://")).read_text()
    # `import grpc`, `grpc.insecure_channel`; the four `@grpc/…` and `grpc.…` lines in JS.
    assert (
        "| gRPC | already a dependency; imported in 4 files; 6 lines of the named files "
        "mention it | ? | ? |" in report
    )
    assert "| Kafka | not declared in any manifest; imported nowhere;" in report
    assert "| ? |" not in report.replace("| ? | ? |", "")  # the fit column is never "?"
    grpc = next(line for line in report.splitlines() if line.startswith("- **gRPC**"))
    assert (
        f"`google.golang.org/grpc` (`{at('src/checkoutservice/go.mod', 'google.golang.org/grpc')}`)"
        in grpc
    )
    assert f"`@grpc/grpc-js` (`{at('src/frontend/package.json', '@grpc/grpc-js')}`)" in grpc
    assert f"`{at(GO, 'google.golang.org/grpc')}`" in grpc and f"`{at(PY, 'import grpc')}`" in grpc
    redis = next(line for line in report.splitlines() if line.startswith("- **Redis**"))
    assert "`StackExchange.Redis` (`src/cartservice/cartservice.csproj:4`)" in redis


async def test_review_of_a_changed_rpc_lists_who_calls_and_serves_it(shop: Path) -> None:
    git(shop, "checkout", "-q", "-b", "priced-cart")
    old = "rpc GetCart(GetCartRequest) returns (Cart) {}"
    commit(
        shop,
        "GetCart returns the cart with its prices",
        {
            "protos/demo.proto": PROTO.replace(
                old, "rpc GetCart(GetCartRequest) returns (PricedCart) {}"
            )
        },
    )
    session = await start_session(shop, env=server_env())
    try:
        answer = await session.command("cowork.reviewChanges", {"base": "main"})
        done = await session.wait_for(answer["taskId"], "done", "failed")
    finally:
        await stop_session(session)
    assert done["state"] == "done", done["error"]
    report = Path(done["artifactUri"].removeprefix("file://")).read_text()
    changed = "(changed in `protos/demo.proto`)"
    assert f"- `{at(GO, '.GetCart(')}` uses `CartService.GetCart` {changed}" in report
    assert f"- `{at(JS, 'cart.getCart(')}` uses `CartService.GetCart` {changed}" in report
    implemented = at(CS, "public override Task<Cart> GetCart(")
    assert f"- `{implemented}` uses `CartService.GetCart (serves it)` {changed}" in report
    assert "No other workspace file uses the changed definitions." not in report


def test_a_summary_says_what_the_module_serves_and_calls(shop: Path) -> None:
    """Summarising a service's entry point: its part in the system, from its wiring,
    in the offline artifact, each with its line."""

    done = cowork(shop, "run", "summarize", GO)
    assert done.returncode == 0, done.stderr
    report = Path(done.stdout.strip()).read_text(encoding="utf-8")
    answer = report.split("## What a model would have received")[0]
    assert (
        "Starts a gRPC server; serves gRPC `CheckoutService`; calls gRPC `CartService`." in answer
    )
    assert f"- serves gRPC `CheckoutService` (`{at(GO, 'RegisterCheckoutServiceServer')}`)" in (
        answer
    )
    assert f"- creates a gRPC client of `CartService` (`{at(GO, 'NewCartServiceClient')}`)" in (
        answer
    )
    assert f"- reads the address `CART_SERVICE_ADDR` (`{at(GO, 'CART_SERVICE_ADDR')}`)" in answer
    assert f"### What {GO} serves and calls" in report  # sent to a model too
    # a Go method is a top-level definition with a receiver, counted as a method
    assert "3 top-level definitions, 1 methods." in answer
