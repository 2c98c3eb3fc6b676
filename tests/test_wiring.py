"""Protocol definitions, deployment manifests and the code sites that serve or call a
service, per language, on realistic snippets (pure functions: no server needed)."""

from __future__ import annotations

from cowork.context import integration, manifests, protocols, wiring
from cowork.context.wiring import CALLS, ENV, REQUEST, ROUTE, SERVES, STARTS


def sites(path: str, language: str, text: str) -> set[tuple[str, str, int]]:
    return {(s.role, s.name, s.line) for s in wiring.scan(path, language, text)}


def test_grpc_servers_and_clients_in_every_language() -> None:
    java = (
        "public class AdService {\n"
        "  private void start() throws IOException {\n"
        "    server = ServerBuilder.forPort(port).addService(new AdServiceImpl()).build().start();\n"
        "  }\n"
        "  private static class AdServiceImpl extends AdServiceGrpc.AdServiceImplBase {}\n"
        "  void call() { AdServiceGrpc.newBlockingStub(channel).getAds(req); }\n"
        "}\n"
    )
    assert {
        (SERVES, "AdService", 3),
        (SERVES, "AdService", 5),
        (CALLS, "AdService", 6),
        (STARTS, "gRPC server", 3),
    } <= sites("AdService.java", "java", java)
    kotlin = "class AdServiceImpl : AdServiceGrpcKt.AdServiceCoroutineImplBase() {}\n"
    assert (SERVES, "AdService", 1) in sites("Ad.kt", "kotlin", kotlin)
    ruby = (
        "class EmailServer < Hipstershop::EmailService::Service\nend\n"
        "stub = Hipstershop::CartService::Stub.new(addr, :this_channel_is_insecure)\n"
    )
    assert sites("s.rb", "ruby", ruby) == {(SERVES, "EmailService", 1), (CALLS, "CartService", 3)}
    cpp = (
        "class CurrencyServiceImpl final : public hipstershop::CurrencyService::Service {};\n"
        "auto stub = hipstershop::CartService::NewStub(channel);\n"
    )
    assert sites("s.cc", "cpp", cpp) == {(SERVES, "CurrencyService", 1), (CALLS, "CartService", 2)}
    rust = (
        "Server::builder().add_service(CartServiceServer::new(svc)).serve(addr).await?;\n"
        'let mut client = CartServiceClient::connect("http://cart:7070").await?;\n'
    )
    assert {(SERVES, "CartService", 1), (CALLS, "CartService", 2)} <= sites("m.rs", "rust", rust)
    ts = "server.addService(hipstershop.PaymentService.service, { charge });\n"
    assert (SERVES, "PaymentService", 1) in sites("s.ts", "typescript", ts)
    python = (
        "demo_pb2_grpc.add_CartServiceServicer_to_server(CartServicer(), server)\n"
        "stub = demo_pb2_grpc.CheckoutServiceStub(channel)\n"
    )
    assert sites("s.py", "python", python) == {
        (SERVES, "CartService", 1),
        (CALLS, "CheckoutService", 2),
    }
    csharp = "var client = new Hipstershop.CartService.CartServiceClient(channel);\n"
    assert sites("c.cs", "csharp", csharp) == {(CALLS, "CartService", 1)}


def test_http_routes_requests_and_address_variables() -> None:
    flask = (
        '@app.route("/api/orders/<int:order_id>", methods=["POST"])\n'
        "def order(order_id): ...\n"
        '@router.get("/health")\n'
        "def health(): ...\n"
    )
    assert sites("a.py", "python", flask) == {
        (ROUTE, "POST /api/orders/<int:order_id>", 1),
        (ROUTE, "GET /health", 3),
    }
    go = (
        'r.HandleFunc("/product/{id}", h.product).Methods(http.MethodGet, "GET")\n'
        'resp, err := http.Get("http://productcatalog:3550/api/products")\n'
        'addr := os.Getenv("PRODUCT_CATALOG_SERVICE_ADDR")\n'
    )
    found = sites("m.go", "go", go)
    assert (ROUTE, "ANY /product/{id}", 1) in found or (ROUTE, "GET /product/{id}", 1) in found
    assert (REQUEST, "GET /api/products", 2) in found
    assert (ENV, "PRODUCT_CATALOG_SERVICE_ADDR", 3) in found
    mux = 'r.HandleFunc(baseUrl+"/cart/empty", svc.emptyCartHandler).Methods(http.MethodPost)\n'
    assert sites("main.go", "go", mux) == {(ROUTE, "POST /cart/empty", 1)}
    csharp = '[HttpGet("api/cart/{userId}")]\npublic Cart Get(string userId) => null;\n'
    assert sites("c.cs", "csharp", csharp) == {(ROUTE, "GET /api/cart/{userId}", 1)}
    spring = '@PostMapping("/orders")\npublic Order create() { return null; }\n'
    assert sites("O.java", "java", spring) == {(ROUTE, "POST /orders", 1)}
    node = "const r = await fetch('http://cart:8080/api/cart/42');\n"
    assert {(s.name, s.detail) for s in wiring.scan("a.js", "javascript", node)} == {
        ("GET /api/cart/42", "cart")
    }


def test_rpc_uses_in_each_spelling() -> None:
    text = "a.GetCart(x)\nb.getCart(y)\nc.\n\t\tempty_cart(z)\n"
    assert wiring.rpc_uses(text, ["GetCart", "EmptyCart", "AddItem"]) == [
        ("GetCart", 1),
        ("EmptyCart", 4),  # the line of the name, where a broken call chain goes on
    ]


def test_protobuf_openapi_and_graphql_definitions() -> None:
    proto = (
        'syntax = "proto3";\npackage shop;\n// service Fake {}\n'
        "service Cart {\n  rpc Get(Req) returns (Res) {\n    option (google.api.http) = "
        '{ get: "/v1/cart" };\n  }\n  rpc Put(Req) returns (Res);\n}\nmessage Req {}\n'
    )
    found, note = protocols.parse("shop.proto", proto)
    assert note is None
    assert [
        (d.service, d.line, d.package, [(o.name, o.line) for o in d.operations]) for d in found
    ] == [("Cart", 4, "shop", [("Get", 5), ("Put", 8)])]
    _, broken = protocols.parse("bad.proto", "service A {\n  rpc X(Y) returns (Z);\n")
    assert broken is not None and "does not parse" in broken
    _, stray = protocols.parse("bad2.proto", "rpc X(Y) returns (Z);\n")
    assert stray is not None and "outside a service" in stray

    openapi = (
        "openapi: 3.0.0\ninfo:\n  title: Orders API\npaths:\n  /orders/{id}:\n"
        "    get:\n      operationId: getOrder\n    delete:\n      operationId: deleteOrder\n"
    )
    (api,), note = protocols.parse("api/openapi.yaml", openapi)
    assert note is None and api.service == "Orders API"
    assert [(o.name, o.line) for o in api.operations] == [
        ("GET /orders/{id}", 6),
        ("DELETE /orders/{id}", 8),
    ]
    found, bad = protocols.parse("openapi.yaml", "paths: [unclosed\n")
    assert found == [] and bad is not None and "does not parse" in bad
    graphql = "type Query {\n  cart(id: ID!): Cart\n  me: User\n}\ntype Cart { id: ID! }\n"
    types, note = protocols.parse("schema.graphql", graphql)
    assert note is None
    assert [(t.service, [o.name for o in t.operations]) for t in types] == [
        ("Query", ["cart", "me"]),
        ("Cart", ["id"]),
    ]


def test_kubernetes_many_documents_templating_and_bad_yaml() -> None:
    docs = "\n---\n".join(
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{i}\nspec:\n  ports:\n"
        f"    - port: {8000 + i}\n      targetPort: 80"
        for i in range(50)
    )
    out = manifests.read([("k8s/all.yaml", docs), ("k8s/bad.yaml", "kind: [\napiVersion: x\n")])
    assert len(out.ports) == 50
    assert out.ports["svc49"] == (
        "k8s/all.yaml:" + str(docs.count("\n", 0, docs.index("svc49")) + 1),
        ["8049→80"],
    )
    assert any("k8s/bad.yaml" in n and "does not parse" in n for n in out.notes)
    helm = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - env:\n"
        "            - name: API_URL\n              value: http://api:8080\n"
    )
    templated = manifests.read([("charts/web/templates/deploy.yaml", helm)])
    assert any("templated" in n for n in templated.notes)
    assert [(e.name, e.value, e.evidence) for e in templated.env] == [
        ("API_URL", "http://api:8080", "charts/web/templates/deploy.yaml:11")
    ]


def test_service_names_match_loosely() -> None:
    names = integration._Names({"cartservice": "src/cartservice"}, ["redis-cart", "payment"])
    assert names.of_env("CART_SERVICE_ADDR") == "src/cartservice"
    assert names.match("CartService") == "src/cartservice"
    assert names.of_value("dns:///cartservice.default.svc.cluster.local:7070") == "src/cartservice"
    assert names.of_value("redis-cart:6379") == "redis-cart"
    assert names.of_env("PAYMENT_SERVICE_URL") == "payment"
    assert names.of_value("10.0.0.1:80") is None


def test_ruby_and_php_routes() -> None:
    sinatra = "class App < Sinatra::Base\n  get '/hello/:name' do\n    'hi'\n  end\nend\n"
    assert sites("app.rb", "ruby", sinatra) == {(ROUTE, "GET /hello/:name", 2)}
    slim = "<?php\n$app->post('/orders/{id}', function ($request, $response) {});\n"
    laravel = "<?php\nRoute::get('users', [UserController::class, 'index']);\n"
    assert sites("i.php", "php", slim) == {(ROUTE, "POST /orders/{id}", 2)}
    assert sites("web.php", "php", laravel) == {(ROUTE, "GET /users", 2)}


def test_yaml_aliases_are_walked_once() -> None:
    """A "billion laughs" manifest and a recursive anchor end at once, without edges."""
    bomb = (
        "apiVersion: v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  a: &a [lol, lol, lol]\n"
    )
    previous = "a"
    for i in range(1, 30):
        bomb += f"  b{i}: &b{i} [*{previous}, *{previous}, *{previous}]\n"
        previous = f"b{i}"
    recursive = "apiVersion: v1\nkind: Deployment\nmetadata:\n  name: y\nspec: &s\n  env: *s\n"
    out = manifests.read([("k8s/bomb.yaml", bomb), ("k8s/recursive.yaml", recursive)])
    assert out.env == [] and set(out.services) == {"x", "y"}


def test_rpc_uses_follow_each_languages_client_spelling() -> None:
    """A Go method spelled like an rpc in lower camel case is the service's own code
    (checkout's `cs.sendOrderConfirmation(`), not a call of the rpc; Java's stubs are."""
    go = "func (cs *checkout) x() {\n\tcs.sendOrderConfirmation(ctx, email)\n}\n"
    assert wiring.rpc_uses(go, ["SendOrderConfirmation"], "go") == []
    go_client = "resp, err := pb.NewEmailServiceClient(c).\n\t\tSendOrderConfirmation(ctx, req)\n"
    assert wiring.rpc_uses(go_client, ["SendOrderConfirmation"], "go") == [
        ("SendOrderConfirmation", 2)
    ]
    java = "stub.getAds(request);\n"
    assert wiring.rpc_uses(java, ["GetAds"], "java") == [("GetAds", 1)]
    assert wiring.rpc_uses("stub.GetAds(request);\n", ["GetAds"], "java") == []
    cpp = "Status s = stub_->GetSupportedCurrencies(&ctx, req, &resp);\n"
    assert wiring.rpc_uses(cpp, ["GetSupportedCurrencies"], "cpp") == [
        ("GetSupportedCurrencies", 1)
    ]
    rust = "let reply = client.get_quote(request).await?;\n"
    assert wiring.rpc_uses(rust, ["GetQuote"], "rust") == [("GetQuote", 1)]
    csharp = "var cart = await client.GetCartAsync(req);\n"
    assert wiring.rpc_uses(csharp, ["GetCart"], "csharp") == [("GetCart", 1)]


def test_http_requests_to_an_address_variable_and_rust_routes() -> None:
    """Real services build a request's URL from an address variable; actix declares routes
    in attributes; Sinatra, actix and tonic servers are what an entry point starts."""
    go = (
        'req, err := http.NewRequestWithContext(ctx, "POST", '
        'cs.emailSvcAddr+"/send_order_confirmation", body)\n'
    )
    [site] = wiring.scan("main.go", "go", go)
    assert (site.role, site.name, site.detail) == (
        REQUEST,
        "POST /send_order_confirmation",
        "email",
    )
    js = "const r = await fetch(`${CART_SERVICE_URL}/api/cart`);\n"
    [site] = [s for s in wiring.scan("a.js", "javascript", js) if s.role == REQUEST]
    assert (site.name, site.detail) == ("GET /api/cart", "CART")
    rust = (
        "use actix_web::{post, web};\n"
        '#[post("/get-quote")]\n'
        "pub async fn get_quote() {}\n"
        "HttpServer::new(move || App::new()\n"
        '    .route("/health", web::get().to(health)))\n'
        "Server::builder().add_service(svc).serve(addr).await?;\n"
    )
    assert {
        (ROUTE, "POST /get-quote", 2),
        (ROUTE, "GET /health", 5),
        (STARTS, "HTTP server", 4),
        (STARTS, "gRPC server", 6),
    } <= sites("main.rs", "rust", rust)
    ruby = 'require "sinatra"\npost "/send_order_confirmation" do\nend\n'
    assert {(STARTS, "HTTP server (Sinatra)", 1), (ROUTE, "POST /send_order_confirmation", 2)} <= (
        sites("email_server.rb", "ruby", ruby)
    )


def test_questions_an_architecture_review_should_raise() -> None:
    """From the OpenTelemetry demo's shape: checkout still creates gRPC clients of the
    email and shipping services, which now serve HTTP; a proto kept in copies."""
    from cowork.context.protocols import Operation, ProtocolDef
    from cowork.kinds.arch_questions import questions

    email = ProtocolDef("gRPC", "EmailService", "pb/demo.proto", 199, (Operation("Send", 200),))
    cart = ProtocolDef("gRPC", "CartService", "pb/demo.proto", 23, (Operation("GetCart", 24),))
    wired = integration.Integration(protocols=[email, cart])
    wired.called_by[("gRPC", "EmailService")] = ["src/checkout/main.go:238"]
    wired.called_by[("gRPC", "CartService")] = ["src/checkout/main.go:228"]
    wired.served_by[("gRPC", "CartService")] = ["src/cart/Program.cs:128"]
    wired.copies[("gRPC", "CartService")] = ["src/cart/demo.proto"]
    wired.connections = [
        integration.Connection(
            "src/checkout", "src/email", "gRPC `EmailService` (client)", "src/checkout/main.go:238"
        ),
        integration.Connection(
            "src/checkout",
            "src/email",
            "HTTP `POST /send_order_confirmation`",
            "src/checkout/main.go:595",
        ),
        integration.Connection(
            "src/checkout", "src/email", "env `EMAIL_ADDR`", "src/checkout/main.go:236"
        ),
        integration.Connection(
            "src/checkout", "src/cart", "gRPC `CartService.GetCart`", "src/checkout/main.go:523"
        ),
    ]
    asked = questions(wired, {"src/checkout", "src/email", "src/cart"})
    assert asked == [
        "- gRPC `EmailService` is called (`src/checkout/main.go:238`) but no file read serves "
        "it: which service owns it, and is it part of this review?",
        "- `CartService` is defined in 2 copies (`pb/demo.proto`, `src/cart/demo.proto`…): "
        "how are they kept in step?",
        "- `src/checkout` reaches `src/email` by gRPC (`src/checkout/main.go:238`), HTTP "
        "(`src/checkout/main.go:595`): which one is in use, and can the other go?",
    ]
    assert questions(integration.Integration(), set()) == []
