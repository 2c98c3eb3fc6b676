"""A repository with 100,000 files of which 90,000 are vendored, built in seconds: one
`git fast-import` stream in which every vendored file shares one blob, then one
checkout to write the tree. Two small services sit among 9,997 library files."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from repos import GIT_ENV, git, init_repo

VENDORED = 90_000
LIBRARY = 9_997
# Vendored code defines this; nothing vendored is outlined or sent.
VENDORED_NAME = "VendoredOnlyHelper"
VENDORED_GO = f"package dep\n\nfunc {VENDORED_NAME}() int {{ return 1 }}\n"
VENDORED_JS = f"exports.{VENDORED_NAME} = function () {{ return 1; }};\n"
LIBRARY_GO = "package lib\n\n// Answer is the answer.\nfunc Answer() int { return 42 }\n"

SERVICES: dict[str, str] = {
    "src/cart/main.go": (
        'package main\n\nimport (\n\t"net"\n\n\t"google.golang.org/grpc"\n)\n\n'
        'func main() {\n\tlis, _ := net.Listen("tcp", ":7070")\n\ts := grpc.NewServer()\n'
        "\tpb.RegisterCartServiceServer(s, &server{})\n\ts.Serve(lis)\n}\n"
    ),
    "src/web/server.js": (
        "const grpc = require('@grpc/grpc-js');\n"
        "const cart = new shop.CartService(process.env.CART_SERVICE_ADDR, creds);\n"
        "function show(req, res) { cart.getCart({}, (e, r) => res.json(r)); }\n"
        "module.exports = { show };\n"
    ),
    "protos/shop.proto": (
        'syntax = "proto3";\npackage shop;\nservice CartService {\n'
        "  rpc GetCart(Empty) returns (Empty) {}\n}\nmessage Empty {}\n"
    ),
}


def _blob(data: str, mark: int) -> bytes:
    raw = data.encode()
    return b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(raw), raw)


def big_repo(root: Path) -> Path:
    """The repository, committed and checked out at `root`."""
    init_repo(root)
    stream = [_blob(VENDORED_GO, 1), _blob(VENDORED_JS, 2), _blob(LIBRARY_GO, 3)]
    for n, text in enumerate(SERVICES.values(), start=4):
        stream.append(_blob(text, n))
    message = b"A big repository"
    stream.append(
        b"commit refs/heads/main\ncommitter Ada Lovelace <ada@example.com> 1700000000 +0000\n"
        b"data %d\n%s\n" % (len(message), message)
    )
    # 60,000 vendored Go files at the top, 30,000 vendored JS modules inside a service.
    for i in range(VENDORED):
        if i < 60_000:
            path = f"vendor/github.com/dep{i // 1000}/pkg{i // 100}/f{i}.go"
            stream.append(b"M 100644 :1 %s\n" % path.encode())
        else:
            path = f"src/web/node_modules/dep{i // 1000}/lib/m{i}.js"
            stream.append(b"M 100644 :2 %s\n" % path.encode())
    for i in range(LIBRARY):
        stream.append(b"M 100644 :3 lib/pkg%d/f%d.go\n" % (i // 50, i))
    for n, path in enumerate(SERVICES, start=4):
        stream.append(b"M 100644 :%d %s\n" % (n, path.encode()))
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=root,
        input=b"".join(stream) + b"done\n",
        check=True,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
    )
    git(root, "checkout", "-q", "-f", "main")
    return root
