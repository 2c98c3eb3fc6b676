"""Outlines, imports and dependency kinds of C#, Kotlin, Ruby, PHP, C, C++ and
CommonJS on realistic snippets, and the workspace graph across them."""

from __future__ import annotations

from pathlib import Path

from cowork.context import deps, graph
from cowork.context.index import WorkspaceIndex
from cowork.context.treesitter import CodeOutline, code_outline
from cowork.context.workspace import inventory
from repos import write


def outline(path: str, text: str) -> CodeOutline:
    found = code_outline(path, text)
    assert found is not None and found.syntax_error is None, found
    return found


def shape(o: CodeOutline) -> list[tuple[str, str, bool, list[tuple[str, bool]]]]:
    return [
        (d.kind, d.name, d.public, [(c.name, c.public) for c in d.children]) for d in o.definitions
    ]


CART_CS = """\
using System;
using System.Threading.Tasks;
using Grpc.Core;
using Hipstershop;
using cartservice.cartstore;
using Store = cartservice.cartstore.ICartStore;

namespace cartservice.services
{
    public class CartService : Hipstershop.CartService.CartServiceBase
    {
        private readonly static Empty Empty = new Empty();
        private readonly ICartStore _cartStore;

        public CartService(ICartStore cartStore)
        {
            _cartStore = cartStore;
        }

        public async override Task<Empty> AddItem(AddItemRequest request, ServerCallContext context)
        {
            await _cartStore.AddItemAsync(request.UserId, request.Item.ProductId, request.Item.Quantity);
            return Empty;
        }

        private static void Log(string message) { Console.WriteLine(message); }

        public string Name { get; set; }
    }

    internal interface IHealth
    {
        bool Ping();
    }
}
"""


def test_csharp_outline_namespace_and_usings() -> None:
    o = outline("src/cartservice/src/services/CartService.cs", CART_CS)
    assert o.package == "cartservice.services"
    assert [spec for spec, _ in o.imports] == [
        "System",
        "System.Threading.Tasks",
        "Grpc.Core",
        "Hipstershop",
        "cartservice.cartstore",
        "cartservice.cartstore.ICartStore",
    ]
    assert shape(o) == [
        (
            "class",
            "CartService",
            True,
            [("CartService", True), ("AddItem", True), ("Log", False), ("Name", True)],
        ),
        ("interface", "IHealth", False, [("Ping", True)]),
    ]
    cart = o.definitions[0]
    assert cart.signature == "public class CartService : Hipstershop.CartService.CartServiceBase"
    assert cart.children[1].signature.startswith("public async override Task<Empty> AddItem(")


AD_KT = """\
package hipstershop

import io.grpc.Server
import io.grpc.ServerBuilder
import java.io.IOException
import kotlinx.coroutines.*

/** Serves ads by context key. */
class AdService(private val port: Int) {
    private var server: Server? = null

    fun start() {
        server = ServerBuilder.forPort(port).addService(AdServiceImpl()).build().start()
    }

    private fun stop() {
        server?.shutdown()
    }
}

internal object Registry {
    fun all(): List<String> = listOf()
}

fun main(args: Array<String>) {
    AdService(9555).start()
}
"""


def test_kotlin_outline_and_imports() -> None:
    o = outline("src/adservice/src/main/kotlin/hipstershop/AdService.kt", AD_KT)
    assert o.package == "hipstershop"
    assert [s for s, _ in o.imports] == [
        "io.grpc.Server",
        "io.grpc.ServerBuilder",
        "java.io.IOException",
        "kotlinx.coroutines.*",
    ]
    assert shape(o) == [
        ("class", "AdService", True, [("start", True), ("stop", False)]),
        ("object", "Registry", False, [("all", True)]),
        ("function", "main", True, []),
    ]


EMAIL_RB = """\
require 'grpc'
require 'json'
require_relative 'lib/templates'

# Sends order confirmations.
module Email
  class EmailServer < Hipstershop::EmailService::Service
    def send_order_confirmation(request, _call)
      render(request.order)
    end

    def self.start(port)
      new
    end

    private

    def render(order)
      order.to_json
    end
  end
end

def main
  Email::EmailServer.start(8080)
end
"""


def test_ruby_outline_and_requires() -> None:
    o = outline("email/server.rb", EMAIL_RB)
    assert o.imports == [("grpc", 1), ("json", 2), ("./lib/templates", 3)]
    assert shape(o) == [
        ("module", "Email", True, [("EmailServer", True)]),
        ("function", "main", True, []),
    ]
    server = o.definitions[0].children[0]
    assert [(m.name, m.public) for m in server.children] == [
        ("send_order_confirmation", True),
        ("start", True),
        ("render", False),
    ]
    assert server.children[0].signature == "def send_order_confirmation(request, _call)"


USERS_PHP = """\
<?php
namespace App\\Http\\Controllers;

use Illuminate\\Http\\Request;
use App\\Models\\{User, Post};
use DateTime;
require_once __DIR__ . '/../bootstrap.php';

/** Lists users. */
class UserController extends Controller
{
    public function index(Request $request): array
    {
        return User::all();
    }

    private function hidden(): void {}

    protected static function make(): self { return new self(); }
}

function helper(string $x): string { return $x; }
"""


def test_php_outline_and_uses() -> None:
    o = outline("app/Http/Controllers/UserController.php", USERS_PHP)
    assert o.package == "App\\Http\\Controllers"
    assert [s for s, _ in o.imports] == [
        "Illuminate\\Http\\Request",
        "App\\Models\\User",
        "App\\Models\\Post",
        "DateTime",
        "./../bootstrap.php",
    ]
    assert shape(o) == [
        ("class", "UserController", True, [("index", True), ("hidden", False), ("make", False)]),
        ("function", "helper", True, []),
    ]


STORE_C = """\
#include <stdio.h>
#include <stdlib.h>
#include "store.h"

#define MAX_ITEMS 64

typedef struct item { int id; } item_t;

static int clamp(int n) { return n > MAX_ITEMS ? MAX_ITEMS : n; }

int store_add(struct store *s, const item_t *item)
{
    return clamp(s->count + 1);
}
"""

STORE_H = """\
#ifndef STORE_H
#define STORE_H
struct store { int count; };
int store_add(struct store *s, const struct item *item);
#endif
"""

SERVER_CC = """\
#include <memory>
#include <string>
#include <grpcpp/grpcpp.h>
#include "demo.grpc.pb.h"

namespace shop {

class CurrencyServiceImpl final : public hipstershop::CurrencyService::Service {
 public:
  grpc::Status Convert(grpc::ServerContext* ctx, const Req* req, Money* out) override {
    return grpc::Status::OK;
  }

 private:
  double rate(const std::string& code);
};

}  // namespace shop

int main(int argc, char** argv) {
  return 0;
}
"""


def test_c_and_cpp_outlines_and_includes() -> None:
    c = outline("native/store.c", STORE_C)
    assert c.imports == [("<stdio.h>", 1), ("<stdlib.h>", 2), ("store.h", 3)]
    assert [(d.kind, d.name, d.public) for d in c.definitions] == [
        ("type", "item_t", True),
        ("function", "clamp", False),
        ("function", "store_add", True),
    ]
    h = outline("native/store.h", STORE_H)
    assert h.language == "c"
    assert [(d.kind, d.name) for d in h.definitions] == [
        ("struct", "store"),
        ("function", "store_add"),
    ]
    cc = outline("native/server.cc", SERVER_CC)
    assert [s for s, _ in cc.imports] == [
        "<memory>",
        "<string>",
        "<grpcpp/grpcpp.h>",
        "demo.grpc.pb.h",
    ]
    assert shape(cc) == [
        ("class", "CurrencyServiceImpl", True, [("Convert", True), ("rate", False)]),
        ("function", "main", True, []),
    ]
    header = code_outline("native/impl.h", "namespace shop {\nclass A { public: void f(); };\n}\n")
    assert header is not None and header.language == "cpp"


CURRENCY_JS = """\
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const logger = require('./logger');

function convert(call, callback) {
  callback(null, {});
}

function getSupportedCurrencies(call, callback) {
  callback(null, { currency_codes: [] });
}

function internalOnly() {}

class Rates {}

module.exports = { convert, Rates };
module.exports.health = function (call, callback) {};
exports.version = () => '1.0';
"""


def test_commonjs_exports_and_requires() -> None:
    o = outline("src/currencyservice/server.js", CURRENCY_JS)
    assert [s for s, _ in o.imports] == ["path", "@grpc/grpc-js", "@grpc/proto-loader", "./logger"]
    assert [(d.name, d.public) for d in o.definitions] == [
        ("convert", True),
        ("getSupportedCurrencies", False),
        ("internalOnly", False),
        ("Rates", True),
        ("health", True),
        ("version", True),
    ]
    single = outline("a.js", "function serve() {}\nmodule.exports = serve;\n")
    assert [(d.name, d.public) for d in single.definitions] == [("serve", True)]


def test_dependencies_named_whole_and_sorted() -> None:
    requires = ["google.golang.org/grpc", "github.com/sirupsen/logrus"]
    assert deps.go("net/http", requires) == ("net/http", "standard library")
    assert deps.go("google.golang.org/grpc/codes", requires) == (
        "google.golang.org/grpc",
        "third-party",
    )
    assert deps.go("github.com/pkg/errors/x") == ("github.com/pkg/errors", "third-party")
    assert deps.jvm("java.util.List") == ("java.util", "standard library")
    assert deps.jvm("io.grpc.stub.StreamObserver") == ("io.grpc.stub", "third-party")
    assert deps.jvm("kotlinx.coroutines.*") == ("kotlinx.coroutines", "third-party")
    assert deps.csharp("System.Threading.Tasks") == ("System.Threading.Tasks", "standard library")
    assert deps.csharp("Grpc.Core") == ("Grpc.Core", "third-party")
    assert deps.node("node:fs/promises") == ("fs", "standard library")
    assert deps.node("path") == ("path", "standard library")
    assert deps.node("@grpc/grpc-js/build/src/x") == ("@grpc/grpc-js", "third-party")
    assert deps.node("lodash/fp") == ("lodash", "third-party")
    assert deps.rust("std::collections::HashMap") == ("std", "standard library")
    assert deps.rust("tokio::sync::mpsc") == ("tokio", "third-party")
    assert deps.ruby("net/http") == ("net/http", "standard library")
    assert deps.ruby("grpc") == ("grpc", "third-party")
    assert deps.php("DateTime") == ("DateTime", "standard library")
    assert deps.php("Illuminate\\Http\\Request") == ("Illuminate\\Http", "third-party")
    assert deps.c_family("<stdio.h>") == ("stdio.h", "standard library")
    assert deps.c_family("<vector>") == ("vector", "standard library")
    assert deps.c_family("<grpcpp/grpcpp.h>") == ("grpcpp", "third-party")
    assert deps.go_requires(
        "module x\n\ngo 1.21\n\nrequire (\n\tgoogle.golang.org/grpc v1.60.0\n"
        "\tgithub.com/google/uuid v1.5.0 // indirect\n)\nrequire golang.org/x/net v0.1.0\n"
    ) == ["google.golang.org/grpc", "github.com/google/uuid", "golang.org/x/net"]


WORKSPACE = {
    "cart/src/services/CartService.cs": CART_CS,
    "cart/src/cartstore/ICartStore.cs": (
        "namespace cartservice.cartstore\n{\n    public interface ICartStore\n    {\n"
        "        void AddItemAsync(string userId, string productId, int quantity);\n    }\n}\n"
    ),
    "checkout/go.mod": (
        "module github.com/shop/checkout\n\ngo 1.21\n\nrequire (\n"
        "\tgoogle.golang.org/grpc v1.60.0\n)\n"
    ),
    "checkout/main.go": (
        'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/shop/checkout/money"\n'
        '\t"google.golang.org/grpc/credentials/insecure"\n)\n\nfunc main() {}\n'
    ),
    "checkout/money/money.go": "package money\n\nfunc Sum() int { return 0 }\n",
    "ads/src/main/kotlin/hipstershop/AdService.kt": AD_KT,
    "ads/src/main/kotlin/hipstershop/Ads.kt": "package hipstershop\n\nclass Ads\n",
    "web/app/Http/Controllers/UserController.php": USERS_PHP,
    "web/app/Models/User.php": "<?php\nnamespace App\\Models;\nclass User {}\n",
    "web/app/Http/bootstrap.php": "<?php\n",
    "email/server.rb": EMAIL_RB,
    "email/lib/templates.rb": "module Templates\nend\n",
    "native/store.c": STORE_C,
    "native/store.h": STORE_H,
    "currency/server.js": CURRENCY_JS,
    "currency/logger.js": "module.exports = { log() {} };\n",
}


def test_graph_resolves_and_sorts_every_language(tmp_path: Path) -> None:
    write(tmp_path, WORKSPACE)
    ix = WorkspaceIndex(tmp_path, watch=False)
    files = inventory(tmp_path)
    g = graph.build(
        [ix.facts(f) for f in files],
        files,
        go_mods={"checkout/go.mod": (tmp_path / "checkout/go.mod").read_text()},
    )

    def targets(path: str) -> list[str]:
        return sorted({e.target for e in g.imports_of(path)})

    def external(path: str) -> dict[str, str]:
        return dict(g.external.get(path, []))

    cs = "cart/src/services/CartService.cs"
    assert targets(cs) == ["cart/src/cartstore/ICartStore.cs"]
    assert external(cs) == {
        "System": "standard library",
        "System.Threading.Tasks": "standard library",
        "Grpc.Core": "third-party",
        "Hipstershop": "third-party",
    }
    assert targets("checkout/main.go") == ["checkout/money/money.go"]
    assert external("checkout/main.go") == {
        "net/http": "standard library",
        "google.golang.org/grpc": "third-party",
    }
    kt = "ads/src/main/kotlin/hipstershop/AdService.kt"
    assert external(kt) == {
        "io.grpc": "third-party",
        "java.io": "standard library",
        "kotlinx.coroutines": "third-party",
    }
    php = "web/app/Http/Controllers/UserController.php"
    assert targets(php) == ["web/app/Http/bootstrap.php", "web/app/Models/User.php"]
    assert external(php)["Illuminate\\Http"] == "third-party"
    assert external(php)["DateTime"] == "standard library"
    assert targets("email/server.rb") == ["email/lib/templates.rb"]
    assert external("email/server.rb") == {"grpc": "third-party", "json": "standard library"}
    assert targets("native/store.c") == ["native/store.h"]
    assert external("native/store.c") == {
        "stdio.h": "standard library",
        "stdlib.h": "standard library",
    }
    assert targets("currency/server.js") == ["currency/logger.js"]
    assert external("currency/server.js") == {
        "path": "standard library",
        "@grpc/grpc-js": "third-party",
        "@grpc/proto-loader": "third-party",
    }


def test_dependencies_declared_in_every_kind_of_manifest() -> None:
    from cowork.context.declared import declared, matches

    cases = {
        "pyproject.toml": (
            '[project]\nname = "x"\ndependencies = ["requests>=2", "SQLAlchemy[asyncio]~=2.0"]\n'
            '[project.optional-dependencies]\ndev = ["pytest"]\n',
            ["requests", "SQLAlchemy", "pytest"],
        ),
        "requirements-dev.txt": (
            "# pins\n-r base.txt\ngrpcio==1.60.0\nredis\n",
            ["grpcio", "redis"],
        ),
        "package.json": (
            '{"dependencies": {"@grpc/grpc-js": "^1"}, "devDependencies": {"jest": "29"}}',
            ["@grpc/grpc-js", "jest"],
        ),
        "go.mod": (
            "module m\nrequire google.golang.org/grpc v1.60.0\n",
            ["google.golang.org/grpc"],
        ),
        "pom.xml": (
            '<project xmlns="http://maven.apache.org/POM/4.0.0"><dependencies><dependency>'
            "<groupId>io.grpc</groupId><artifactId>grpc-netty</artifactId></dependency>"
            "</dependencies></project>",
            ["io.grpc:grpc-netty"],
        ),
        "build.gradle.kts": (
            'dependencies {\n    implementation("io.ktor:ktor-server-core:2.3.0")\n}\n',
            ["io.ktor:ktor-server-core"],
        ),
        "app.csproj": (
            '<Project><ItemGroup><PackageReference Include="Grpc.AspNetCore" Version="2" /></ItemGroup></Project>',
            ["Grpc.AspNetCore"],
        ),
        "Cargo.toml": (
            '[package]\nname = "x"\n[dependencies]\ntokio = "1"\ntonic = { version = "0.10" }\n',
            ["tokio", "tonic"],
        ),
        "Gemfile": (
            "source 'https://rubygems.org'\ngem 'grpc', '~> 1.60'\ngem \"rails\"\n",
            ["grpc", "rails"],
        ),
        "composer.json": (
            '{"require": {"php": ">=8.1", "guzzlehttp/guzzle": "^7"}}',
            ["php", "guzzlehttp/guzzle"],
        ),
    }
    for path, (text, expected) in cases.items():
        found, note = declared(path, text)
        assert note is None, (path, note)
        assert [d.name for d in found] == expected, path
    (dep, _), _ = declared(
        "package.json", '{\n  "dependencies": {\n    "redis": "4",\n    "x": "1"\n  }\n}\n'
    )
    assert (dep.name, dep.line) == ("redis", 3)
    assert declared("package.json", "{not json")[1] is not None
    assert matches("gRPC", "@grpc/grpc-js") and matches("Redis", "StackExchange.Redis")
    assert not matches("Kafka", "express")


def test_macro_wrapped_cpp_and_guarded_ruby_classes() -> None:
    cpp = outline(
        "include/json/lexer.hpp",
        "#pragma once\n#include <string>\nNLOHMANN_JSON_NAMESPACE_BEGIN\nnamespace detail {\n"
        "class lexer_base {\n  public:\n    enum class token_type { value_string };\n};\n"
        "template<typename BasicJsonType>\nclass lexer : public lexer_base {\n"
        "  public:\n    void reset() noexcept {}\n};\n}  // namespace detail\n"
        "NLOHMANN_JSON_NAMESPACE_END\n",
    )
    assert [(d.kind, d.name) for d in cpp.definitions] == [
        ("class", "lexer_base"),
        ("class", "lexer"),
    ]
    assert [c.name for c in cpp.definitions[1].children] == ["reset"]
    ruby = outline(
        "test/slim_test.rb",
        "require_relative 'test_helper'\n\nbegin\nrequire 'slim'\n\n"
        "class SlimTest < Minitest::Test\n  def slim_app(&block)\n  end\nend\n\n"
        "rescue LoadError\n  warn 'skipping'\nend\n",
    )
    assert [(d.kind, d.name) for d in ruby.definitions] == [("class", "SlimTest")]
    assert ruby.imports == [("./test_helper", 1), ("slim", 4)]


def test_doc_comments_become_the_first_line_of_a_definition() -> None:
    cs = outline(
        "Store.cs",
        "namespace N\n{\n    /// <summary>\n    /// Stores carts in Redis.\n    /// </summary>\n"
        "    public class Store {}\n}\n",
    )
    assert [(d.name, d.doc) for d in cs.definitions] == [("Store", "Stores carts in Redis.")]
    go = outline(
        "m.go",
        "// Copyright 2024 Example\n\npackage m\n\n// Sum adds up quantities.\n// It never fails.\n"
        "func Sum() int { return 0 }\n\nfunc Bare() {}\n",
    )
    assert [(d.name, d.doc) for d in go.definitions] == [
        ("Sum", "Sum adds up quantities."),
        ("Bare", None),
    ]
    ts = outline(
        "a.ts",
        "/**\n * Fetches an order.\n * @param id the order\n */\nexport function get(id: string) {}\n",
    )
    assert ts.definitions[0].doc == "Fetches an order."
    rb = outline("a.rb", "# Sends mail.\nclass Mailer\nend\n")
    assert rb.definitions[0].doc == "Sends mail."


LAZY_JS = """\
'use strict';
const { formatMoney, parse: parseMoney } = require('./money');
const load = () => require('./lazy');

function handler(req) {
  const db = require('./db');
  return db.get(req, formatMoney, parseMoney);
}

class Store {
  open() { return require('redis'); }
}

function helper() {}
module.exports = { handler, helper, Stored: Store, health(call) { return call; } };
"""


def test_commonjs_lazy_requires_destructuring_and_object_exports(tmp_path: Path) -> None:
    o = outline("svc/index.js", LAZY_JS)
    # A require in a function, an arrow or a method still makes the module a dependency.
    assert o.imports == [("./money", 2), ("./lazy", 3), ("./db", 6), ("redis", 11)]
    assert [(d.name, d.public) for d in o.definitions] == [
        ("load", False),
        ("handler", True),
        ("Store", True),
        ("helper", True),
        ("health", True),
    ]
    files = {
        "svc/index.js": LAZY_JS,
        "svc/money.js": "exports.formatMoney = (u) => u;\n",
        "svc/lazy.js": "module.exports = {};\n",
        "svc/db.js": "module.exports = { get() {} };\n",
    }
    write(tmp_path, files)
    ix = WorkspaceIndex(tmp_path, watch=False)
    listed = inventory(tmp_path)
    g = graph.build([ix.facts(f) for f in listed], listed)
    assert sorted({e.target for e in g.imports_of("svc/index.js")}) == [
        "svc/db.js",
        "svc/lazy.js",
        "svc/money.js",
    ]
    assert dict(g.external.get("svc/index.js", [])) == {"redis": "third-party"}
