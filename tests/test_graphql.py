"""GraphQL between services: root fields defined (schema files, SDL in code strings),
served (resolver maps, graphql-js, TypeGraphQL/NestJS, gqlgen, Strawberry, Graphene,
Ariadne, Spring, Hot Chocolate) and called (operations in strings and `.graphql`
documents, `/graphql` endpoints), as the architecture report and the model see them
(graphqlrepo.py; the real server, the real Anthropic SDK to the local fake)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import architecture_of, cowork, server_env, start_session, stop_session
from cowork.context import graphql as gq
from cowork.context import integration
from fakeapi import FakeAnthropic
from graphqlrepo import CART_SCHEMA, SERVICES, at, graphql_repo
from repos import commit, git
from test_integration_points import _texts

KEY = "sk-ant-test-graphql-0123456789abcdef"
CATALOG, CART, ORDERS, WEB = SERVICES
RESOLVERS = "services/cart/graph/schema.resolvers.go"


def found(path: str, language: str, text: str) -> set[tuple[str, str, int]]:
    return {(s.role, s.name, s.line) for s in gq.scan(path, language, text)}


def test_apollo_sdl_in_a_gql_string_and_a_resolver_map() -> None:
    server = (
        "const typeDefs = gql`\n  type Query {\n    cart(userId: ID!): Cart\n  }\n"
        "  extend type Mutation {\n    addItem(id: ID!): Cart\n  }\n`;\n"
        "const resolvers = {\n  Query: {\n    cart: (_, { userId }) => get(userId, 'a,b{'),\n"
        "  },\n  Mutation: {\n    async addItem(_, args) { return add(args); },\n  },\n};\n"
    )
    assert found("api.js", "javascript", server) == {
        (gq.DEFINES, "Query.cart", 3),
        (gq.DEFINES, "Mutation.addItem", 6),
        (gq.SERVES, "Query.cart", 11),
        (gq.SERVES, "Mutation.addItem", 14),
    }
    graphql_js = (
        "const QueryType = new GraphQLObjectType({\n  name: 'Query',\n"
        "  fields: () => ({\n    viewer: { type: User },\n    node: nodeField,\n  }),\n});\n"
    )
    assert found("schema.ts", "typescript", graphql_js) == {
        (gq.SERVES, "Query.viewer", 4),
        (gq.SERVES, "Query.node", 5),
    }
    nest = (
        "@Resolver(() => Cart)\nexport class CartResolver {\n"
        "  @Query(() => Cart, { nullable: true })\n  async cart(@Args('id') id: string) {}\n"
        "  @Mutation(() => Cart, { name: 'emptyCart' })\n  clear() {}\n}\n"
    )
    assert found("cart.resolver.ts", "typescript", nest) == {
        (gq.SERVES, "Query.cart", 4),
        (gq.SERVES, "Mutation.emptyCart", 6),
    }


def test_operations_in_strings_and_documents_with_aliases_and_fragments() -> None:
    client = (
        "const Q = gql`\n  query GetCart($id: ID!) @cached {\n"
        "    mine: cart(userId: $id) { items { id } }\n    ...Extra\n"
        "    me { name }\n  }\n`;\n"
        "const M = 'mutation { addItem(id: 1) { id } }';\n"
        "class Db { query(sql) { return sql; } }\n"  # a method named query is no operation
    )
    assert found("web.js", "javascript", client) == {
        (gq.CALLS, "Query.cart", 3),
        (gq.CALLS, "Query.me", 5),
        (gq.CALLS, "Mutation.addItem", 8),
    }
    # In Python source: escapes are no fields; JS in a string holding `query(sql) {` is
    # a method, not an operation.
    python = (
        'Q = "query GetCart {\\n  cart(id: 1) { id }\\n}"\n'
        'JS = "class Db { query(sql) { return sql; } }"\n'
    )
    assert found("client.py", "python", python) == {(gq.CALLS, "Query.cart", 1)}
    document = (
        "query A { cart(id: 1) { id } }\n\nfragment F on Cart { id }\nsubscription S { events }\n"
    )
    assert {(s.name, s.line) for s in gq.document("q.graphql", document)} == {
        ("Query.cart", 1),
        ("Subscription.events", 4),
    }
    endpoint = "new ApolloClient({ uri: 'http://reviews:4000/graphql' });\n"
    (site,) = gq.scan("a.js", "javascript", endpoint)
    assert (site.role, site.name, site.detail) == (gq.ENDPOINT, "/graphql", "reviews")


def test_servers_in_go_python_java_and_csharp() -> None:
    go = (
        "func (r *queryResolver) Cart(ctx context.Context) (*model.Cart, error) {}\n"
        "func (r *mutationResolver) AddItem(ctx context.Context) (*model.Cart, error) {}\n"
    )
    assert found("schema.resolvers.go", "go", go) == {
        (gq.SERVES, "Query.cart", 1),
        (gq.SERVES, "Mutation.addItem", 2),
    }
    python = (
        "import graphene\nimport strawberry\n\n@strawberry.type\nclass Query:\n"
        "    products: list[Product]\n\n    @strawberry.field\n"
        "    def cart_total(self, user_id: str) -> int:\n        def inner():\n"
        "            pass\n        return 0\n\n"
        "class Mutation(graphene.ObjectType):\n    add_item = AddItem.Field()\n\n"
        "    def resolve_checkout(self, info):\n        return 1\n\ndef _private(): pass\n"
    )
    assert found("schema.py", "python", python) == {
        (gq.SERVES, "Query.products", 6),
        (gq.SERVES, "Query.cartTotal", 9),
        (gq.SERVES, "Mutation.addItem", 15),
        (gq.SERVES, "Mutation.checkout", 17),
    }
    ariadne = (
        "from ariadne import QueryType, MutationType\nquery = QueryType()\n"
        "mutation = MutationType()\n\n@query.field('cart')\ndef resolve_cart(*_):\n"
        "    return {}\n\nmutation.set_field('addItem', add_item)\n"
    )
    assert found("ariadne_app.py", "python", ariadne) == {
        (gq.SERVES, "Query.cart", 5),
        (gq.SERVES, "Mutation.addItem", 9),
    }
    java = (
        "@Controller\npublic class CartController {\n    @QueryMapping\n"
        "    public Cart cart(@Argument String id) { return null; }\n"
        '    @MutationMapping(name = "addToCart")\n'
        "    public Cart add(@Argument String id) { return null; }\n}\n"
    )
    assert found("CartController.java", "java", java) == {
        (gq.SERVES, "Query.cart", 4),
        (gq.SERVES, "Mutation.addToCart", 6),
    }
    csharp = (
        "public class Query\n{\n    public Cart GetCart(string id) { if (x) { } return null; }\n"
        "    public async Task<List<Product>> GetProductsAsync() => null;\n}\n"
    )
    assert found("Query.cs", "csharp", csharp) == {
        (gq.SERVES, "Query.cart", 3),
        (gq.SERVES, "Query.products", 4),
    }


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return graphql_repo(tmp_path / "shop")


def edges() -> list[str]:
    """Every GraphQL edge the fixture documents, as the report writes it."""
    return [
        f"`{WEB}` → `reviews`: GraphQL endpoint `/graphql` "
        f"(`{at('services/web/reviews.js', 'reviews:4000')}`)",
        f"`{WEB}` → `{CART}`: GraphQL `Query.cart` (`{at('services/web/cart.py', 'cart(userId')}`)",
        f"`{WEB}` → `{CATALOG}`: GraphQL `Query.products` "
        f"(`{at('services/web/queries/products.graphql', 'products(')}`)",
        f"`{WEB}` → `{ORDERS}`: GraphQL `Mutation.placeOrder` "
        f"(`{at('services/web/checkout.js', 'placeOrder(')}`)",
        f"`{WEB}` → `{ORDERS}`: HTTP `POST /graphql` (`{at('services/web/checkout.js', 'fetch(')}`)",
    ]


async def brief(root: Path, env: dict[str, str], init: dict[str, object]) -> dict[str, Any]:
    return await architecture_of(root, list(SERVICES), env, init)


async def test_architecture_lists_graphql_schemas_servers_callers_and_edges(shop: Path) -> None:
    done = await brief(shop, server_env(), {})
    report = Path(done["artifactUri"].removeprefix("file://")).read_text()
    for edge in edges():
        assert f"- {edge}" in report, edge
    schema = "services/catalog/schema.graphql"
    catalog_js = "services/catalog/index.js"
    assert (
        f"- GraphQL `Query` (`{at(schema, 'type Query')}`): products, product\n"
        f"  - served by: `{at(catalog_js, 'products:')}`, `{at(catalog_js, 'product(_')}`\n"
        f"  - called by: `{at('services/web/queries/products.graphql', 'products(')}`"
    ) in report
    cart_schema = "services/cart/graph/schema.graphqls"
    assert (
        f"- GraphQL `Mutation` (`{at(cart_schema, 'type Mutation')}`): addItem, emptyCart\n"
        f"  - served by: `{at(RESOLVERS, 'AddItem(')}`, `{at(RESOLVERS, 'EmptyCart(')}`\n"
        "  - called by: none found in the files read"
    ) in report
    # Code first: the Strawberry resolvers are the definition; snake_case is camelCase.
    orders = "services/orders/app.py"
    assert (
        f"- GraphQL `Mutation` (`{at(orders, 'def place_order')}`): placeOrder\n"
        f"  - served by: `{at(orders, 'def place_order')}`\n"
        f"  - called by: `{at('services/web/checkout.js', 'placeOrder(')}`"
    ) in report
    # Object types are no protocol of their own; what serves GraphQL says so.
    assert "GraphQL `Product`" not in report and "GraphQL `Cart`" not in report
    assert (
        f"Entry points: `{orders}` (resolves GraphQL `Query`; resolves GraphQL `Mutation`)."
        in report
    )
    assert f"Entry points: `{catalog_js}` (resolves GraphQL `Query`)." in report
    # gqlgen's generated executor is skipped: its embedded schema and resolvers are not read.
    assert "services/cart/graph/generated.go` (generated" in report
    assert "generatedOnlyField" not in report and "GeneratedOnlyResolver" not in report


async def test_the_model_is_sent_the_graphql_edges_before_the_outlines(shop: Path) -> None:
    with FakeAnthropic(text="## Services\n\nA draft.\n") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        await brief(shop, env, {"provider": "anthropic"})
    (request,) = [r for r in api.requests if r.route == "/v1/messages"]
    text = "\n".join(_texts(request.json))
    start = text.index("Integration points between services")
    assert start < text.index(f"Public outline of {CATALOG}")
    for edge in edges():
        assert edge in text[start:], edge
    assert "type Query {\n  products(first: Int)" in text  # the schema itself
    assert "generatedOnlyField" not in text and "GeneratedOnlyResolver" not in text


def test_a_copied_schema_is_listed_once_and_a_kind_is_no_address() -> None:
    schema = "type Query {\n  cart(id: ID!): Cart\n}\n"
    texts = {
        "cart/schema.graphql": schema,
        "deploy/copy/schema.graphql": schema,
        "gateway/supergraph.graphql": "type Query {\n  cart(id: ID!): Cart\n  me: User\n}\n",
        "docker-compose.yml": (
            "services:\n  cart:\n    environment:\n      EXPORTER_TYPE: collector\n"
            "      EXPORTER_HOST: collector\n  collector:\n    image: otel\n"
        ),
    }
    wired = integration.gather(
        [],
        ["deploy/copy/schema.graphql", "cart/schema.graphql", "gateway/supergraph.graphql"],
        ["docker-compose.yml"],
        texts.get,
        lambda p: p.split("/")[0] if "/" in p else None,
        lambda p: None,
        {"cart": "cart"},
    )
    report = "\n".join(wired.render())
    # The given service's schema is the one listed; its copy is named with it.
    assert (
        "- GraphQL `Query` (`cart/schema.graphql:1`; also defined in "
        "`deploy/copy/schema.graphql:1`): cart"
    ) in report
    assert "- GraphQL `Query` (`gateway/supergraph.graphql:1`): cart, me" in report
    # `EXPORTER_TYPE=collector` names a kind; `EXPORTER_HOST=collector` an address.
    assert [c.how for c in wired.connections] == ["env `EXPORTER_HOST` (compose)"]


async def test_review_of_a_changed_schema_lists_who_calls_and_serves_its_fields(
    shop: Path,
) -> None:
    git(shop, "checkout", "-q", "-b", "currency")
    schema = "services/cart/graph/schema.graphqls"
    changed = (
        CART_SCHEMA.replace(
            "  cart(userId: ID!): Cart", "  cart(userId: ID!, currency: String): Cart"
        )
        .replace("  emptyCart(userId: ID!): Cart\n", "")
        .replace("  items: [String!]!", "  items: [String!]!\n  total: Int")
    )
    commit(shop, "Carts in a currency; no emptying", {schema: changed})
    session = await start_session(shop, env=server_env())
    try:
        answer = await session.command("cowork.reviewChanges", {"base": "main"})
        done = await session.wait_for(answer["taskId"], "done", "failed")
    finally:
        await stop_session(session)
    assert done["state"] == "done", done["error"]
    report = Path(done["artifactUri"].removeprefix("file://")).read_text()
    where = f"(changed in `{schema}`)"
    cart_py = "services/web/cart.py"
    assert f"- `{at(cart_py, 'cart(userId')}` uses `GraphQL Query.cart` {where}" in report
    assert (
        f"- `{at(RESOLVERS, 'Cart(ctx')}` uses `GraphQL Query.cart (serves it)` {where}" in report
    )
    # A removed field: what still serves it is named.
    assert (
        f"- `{at(RESOLVERS, 'EmptyCart(')}` uses `GraphQL Mutation.emptyCart (serves it)` {where}"
        in report
    )
    # `Cart.total` is an object type's field: no operation selects it at the top.
    assert "Cart.total" not in report and "Query.total" not in report


def test_a_summary_says_which_graphql_fields_a_module_resolves(tmp_path: Path) -> None:
    root = graphql_repo(tmp_path / "shop")
    done = cowork(root, "run", "summarize", "services/catalog/index.js")
    assert done.returncode == 0, done.stderr
    answer = Path(done.stdout.strip()).read_text(encoding="utf-8").split("## What a model")[0]
    assert "Resolves GraphQL `Query.product`, `Query.products`." in answer
    index = "services/catalog/index.js"
    assert f"- resolves GraphQL `Query.products` (`{at(index, 'products: (_')}`)" in answer
