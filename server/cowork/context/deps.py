"""An import outside the workspace, named whole and sorted: standard library or third-party.

Per language, by the language's own conventions — no package manager runs:
Go's standard library has no dot in its first path element and a third-party
import is named by the module `go.mod` requires (`google.golang.org/grpc`);
Java/Kotlin's `java.*`, `javax.*`, `kotlin.*`; C#'s `System.*`, `Microsoft.*`;
Node's built-in modules (`fs`, `node:fs`) and packages named whole
(`@grpc/grpc-js`, not `@grpc`); Rust's `std`/`core`/`alloc`; Ruby's and C/C++'s
standard libraries by name. Imports of the workspace's own namespaces
(`workspace`) are told apart by the caller, which knows them.
"""

from __future__ import annotations

import re
import sys

STDLIB = "standard library"
THIRD_PARTY = "third-party"
WORKSPACE = "workspace"


def _names(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


NODE_BUILTINS = _names(
    "assert async_hooks buffer child_process cluster console constants crypto dgram "
    "diagnostics_channel dns domain events fs http http2 https inspector module net os "
    "path perf_hooks process punycode querystring readline repl stream string_decoder "
    "sys timers tls trace_events tty url util v8 vm wasi worker_threads zlib test"
)
RUBY_STDLIB = _names(
    "abbrev base64 benchmark bigdecimal cgi coverage csv date delegate digest drb English "
    "erb etc fcntl fiber fiddle fileutils find forwardable getoptlong io/console ipaddr irb "
    "json logger matrix monitor mutex_m net/http net/https nkf objspace observer open-uri "
    "open3 openssl optparse ostruct pathname pp prettyprint prime pstore psych racc rdoc "
    "readline reline resolv ripper securerandom set shellwords singleton socket stringio "
    "strscan syslog tempfile time timeout tmpdir tsort un uri weakref yaml zlib"
)
_C_STD = _names(
    "assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal "
    "stdalign stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn string tgmath "
    "threads time uchar wchar wctype unistd pthread fcntl dirent sys/types sys/stat "
    "sys/socket sys/time sys/wait netinet/in arpa/inet netdb poll signal dlfcn"
)
_CPP_STD = _names(
    "algorithm any array atomic barrier bit bitset charconv chrono codecvt compare complex "
    "concepts condition_variable coroutine deque exception execution expected filesystem "
    "format forward_list fstream functional future initializer_list iomanip ios iosfwd "
    "iostream istream iterator latch limits list locale map memory memory_resource mutex new "
    "numbers numeric optional ostream queue random ranges ratio regex scoped_allocator "
    "semaphore set shared_mutex source_location span sstream stack stdexcept stop_token "
    "streambuf string string_view syncstream system_error thread tuple type_traits typeindex "
    "typeinfo unordered_map unordered_set utility valarray variant vector version"
)
_GO_HOSTS_3 = ("github.com/", "gitlab.com/", "bitbucket.org/", "golang.org/x/")


def go_requires(go_mod_text: str) -> list[str]:
    """The module paths a go.mod requires."""
    found: list[str] = []
    in_block = False
    for raw in go_mod_text.splitlines():
        line = raw.split("//")[0].strip()
        if in_block:
            if line == ")":
                in_block = False
            elif line:
                found.append(line.split()[0])
        elif line.startswith("require"):
            rest = line.removeprefix("require").strip()
            if rest == "(":
                in_block = True
            elif rest:
                found.append(rest.split()[0])
    return found


def go(spec: str, requires: list[str] | tuple[str, ...] = ()) -> tuple[str, str]:
    first = spec.split("/")[0]
    if "." not in first:
        return spec, STDLIB
    module = max(
        (r for r in requires if spec == r or spec.startswith(r + "/")), key=len, default=""
    )
    if not module:
        parts = spec.split("/")
        module = "/".join(parts[: 3 if spec.startswith(_GO_HOSTS_3) else 2])
    return module, THIRD_PARTY


def _dotted_package(spec: str) -> str:
    """`io.grpc.Server` -> `io.grpc`: the package, without a class or a wildcard."""
    parts = spec.removesuffix(".*").split(".")
    while len(parts) > 1 and parts[-1][:1].isupper():
        parts.pop()
    return ".".join(parts)


def jvm(spec: str) -> tuple[str, str]:
    """Java and Kotlin."""
    name = _dotted_package(spec)
    top = name.split(".")[0]
    if top in ("java", "javax", "kotlin", "jdk", "sun") or name.startswith("jakarta.annotation"):
        return name, STDLIB
    return name, THIRD_PARTY


def csharp(spec: str) -> tuple[str, str]:
    top = spec.split(".")[0]
    return spec, STDLIB if top in ("System", "Microsoft", "Windows") else THIRD_PARTY


def node(spec: str) -> tuple[str, str]:
    if spec.startswith("node:") or spec.split("/")[0] in NODE_BUILTINS:
        return spec.removeprefix("node:").split("/")[0], STDLIB
    parts = spec.split("/")
    name = "/".join(parts[:2]) if spec.startswith("@") else parts[0]
    return name, THIRD_PARTY


def rust(spec: str) -> tuple[str, str]:
    top = re.split(r"::|\{", spec.removeprefix("::"))[0].strip()
    return top, STDLIB if top in ("std", "core", "alloc", "proc_macro", "test") else THIRD_PARTY


def ruby(spec: str) -> tuple[str, str]:
    if spec in RUBY_STDLIB or spec.split("/")[0] in RUBY_STDLIB:
        return spec, STDLIB
    return spec, THIRD_PARTY


def php(spec: str) -> tuple[str, str]:
    parts = spec.lstrip("\\").split("\\")
    if len(parts) == 1:  # a global class: DateTime, PDO, Exception
        return parts[0], STDLIB
    return "\\".join(parts[:2]), THIRD_PARTY


def c_family(spec: str) -> tuple[str, str]:
    header = spec.strip("<>")
    stem = header.removesuffix(".h")
    if stem in _C_STD or header in _CPP_STD or (header.startswith("c") and header[1:] in _C_STD):
        return header, STDLIB
    return header.split("/")[0] if "/" in header else header, THIRD_PARTY


def python(module: str) -> tuple[str, str]:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return module, STDLIB
    return module, THIRD_PARTY
