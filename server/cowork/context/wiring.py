"""Where code serves or calls another service: gRPC server registration and client or
stub construction, HTTP route declarations and requests with a literal route or
host, and environment variables that carry a service's address — per language,
with the line. Pure functions on a file's text (a generated stub is the caller's
to skip: its registration helpers are not the code that serves).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

# A server class deriving from the generated base: found as SERVES, "implements".
IMPLEMENTS = "implements"
# What a site does: serve or call gRPC, declare or request HTTP, read an address.
SERVES, CALLS, ROUTE, REQUEST, ENV, STARTS = (
    "serves",
    "calls",
    "route",
    "request",
    "env",
    "starts",
)


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    role: str  # one of the constants above
    name: str  # gRPC service, "GET /api/x", env variable, what is started
    detail: str = ""  # an HTTP request's host; for a server, "implements" or "registers"


class _Pattern:
    """A compiled pattern that runs only on texts holding one of its `needs` (plain
    substrings): a file with none of them cannot match, and most files have none."""

    def __init__(self, pattern: str, needs: tuple[str, ...]) -> None:
        self.re = re.compile(pattern)
        self.needs = needs

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self.needs and not any(n in text for n in self.needs):
            return iter(())
        return self.re.finditer(text)


def _p(pattern: str, *needs: str) -> _Pattern:
    return _Pattern(pattern, needs)


# (role, pattern with the service in group 1), per language.
_GRPC: dict[str, list[tuple[str, _Pattern]]] = {
    "go": [
        (SERVES, _p(r"\bRegister(\w+?)Server\s*\(", "Register")),
        (CALLS, _p(r"\bNew(\w+?)Client\s*\(", "Client")),
    ],
    "python": [
        (SERVES, _p(r"\badd_(\w+?)Servicer_to_server\s*\(", "Servicer_to_server")),
        (CALLS, _p(r"\b(\w+?)Stub\s*\(", "Stub")),
    ],
    "csharp": [
        (IMPLEMENTS, _p(r":\s*(?:[\w.]+\.)?(\w+)\.\1Base\b", "Base")),
        (SERVES, _p(r"\bMapGrpcService\s*<\s*(?:[\w.]+\.)?(\w+?)(?:Impl)?\s*>", "MapGrpcService")),
        (CALLS, _p(r"\bnew\s+(?:[\w.]+\.)?(\w+)\.\1Client\s*\(", "Client")),
    ],
    "javascript": [
        (SERVES, _p(r"\.addService\s*\(\s*(?:[\w$]+\.)*(\w+)\.service\b", "addService")),
        (CALLS, _p(r"\bnew\s+(?:[\w$]+\.)+(\w+)\s*\(", "new ")),
    ],
    "java": [
        (IMPLEMENTS, _p(r"\bextends\s+(\w+)Grpc\.\1ImplBase\b", "ImplBase")),
        (SERVES, _p(r"\.addService\s*\(\s*new\s+(\w+?)(?:Impl|Service)?\s*\(", "addService")),
        (CALLS, _p(r"\b(\w+)Grpc\.new(?:Blocking|Future)?Stub\s*\(", "Stub")),
    ],
    "kotlin": [
        (IMPLEMENTS, _p(r":\s*(\w+)Grpc(?:Kt)?\.\1(?:Coroutine)?ImplBase\b", "ImplBase")),
        (SERVES, _p(r"\.addService\s*\(\s*(\w+?)(?:Impl|Service)?\s*\(", "addService")),
        (
            CALLS,
            _p(r"\b(\w+)Grpc(?:Kt)?\.new\w*Stub\s*\(|\b(\w+)GrpcKt\.\w+CoroutineStub\s*\(", "Stub"),
        ),
    ],
    "ruby": [
        (IMPLEMENTS, _p(r"<\s*(?:\w+::)*(\w+)::Service\b", "::Service")),
        (CALLS, _p(r"\b(?:\w+::)*(\w+)::Stub\.new\b", "::Stub")),
    ],
    "cpp": [
        (IMPLEMENTS, _p(r"public\s+(?:\w+::)*(\w+)::(?:Async)?Service\b", "Service")),
        (CALLS, _p(r"\b(\w+)::NewStub\s*\(", "NewStub")),
    ],
    "php": [(CALLS, _p(r"\bnew\s+(?:\\?\w+\\)*(\w+)Client\s*\(", "Client"))],
    "rust": [
        (SERVES, _p(r"\b(\w+)Server::new\s*\(", "Server::new")),
        (CALLS, _p(r"\b(\w+)Client::(?:connect|new)\s*\(", "Client::")),
    ],
}
for _alias, _same in (("typescript", "javascript"), ("tsx", "javascript"), ("c", "cpp")):
    _GRPC[_alias] = _GRPC[_same]

_VERBS = "get|post|put|delete|patch|head|options"
_QUOTED_ROUTE = ("'/", '"/', "`/")
# HTTP route declarations, with named groups `verb` (or `verb2`) and `route`.
_ROUTES: list[_Pattern] = [
    # Express / Koa / Fastify routers: app.get('/x', …)
    _p(
        rf"\b(?:app|router|server|api|r)\.(?P<verb>{_VERBS})\s*\(\s*['\"`](?P<route>/[^'\"`]*)",
        *_QUOTED_ROUTE,
    ),
    # Flask / FastAPI: @app.route("/x", methods=["POST"]), @router.get("/x")
    _p(
        rf"@\w+\.(?P<verb>{_VERBS}|route)\s*\(\s*['\"](?P<route>/[^'\"]*)['\"]"
        r"(?:[^)]*methods\s*=\s*\[\s*['\"](?P<verb2>\w+))?",
        "@",
    ),
    # Go net/http, gorilla/mux: HandleFunc("/x", …).Methods("GET"); chi/echo: r.Get("/x", …)
    _p(
        r'\.(?:HandleFunc|Handle)\s*\(\s*(?:\w+\s*\+\s*)?"(?P<route>/[^"]*)"'
        r'(?:[^\n]*?\.Methods\(\s*(?:"|http\.Method)(?P<verb>\w+))?',
        "Handle",
    ),
    _p(
        r'\b\w+\.(?P<verb>Get|Post|Put|Delete|Patch|GET|POST|PUT|DELETE)\s*\(\s*"(?P<route>/[^"]*)"',
        '"/',
    ),
    # ASP.NET minimal APIs and attributes: app.MapGet("/x"), [HttpGet("x")]
    _p(r'\.Map(?P<verb>Get|Post|Put|Delete|Patch)\s*\(\s*"(?P<route>[^"]*)"', ".Map"),
    _p(r'\[Http(?P<verb>Get|Post|Put|Delete|Patch)\s*\(\s*"(?P<route>[^"]*)"', "[Http"),
    # Sinatra and Rails routes: get '/x' do … end; get "/x", to: "c#a"
    _p(
        rf"(?m)^[ \t]*(?P<verb>{_VERBS})[ \t]*\(?[ \t]*['\"](?P<route>/[^'\"]*)['\"]",
        *_QUOTED_ROUTE,
    ),
    # PHP: Slim's $app->get('/x', …), Laravel's Route::get('/x', …)
    _p(
        rf"(?:\$\w+->|Route::)(?P<verb>{_VERBS})\s*\(\s*['\"](?P<route>/?[^'\"]*)['\"]",
        "->",
        "Route::",
    ),
    # Rust: actix-web's #[post("/x")], actix's .route("/x", web::get()), axum's .route("/x", get(h))
    _p(rf'#\[(?P<verb>{_VERBS})\s*\(\s*"(?P<route>/[^"]*)"', "#["),
    _p(
        rf'\.route\s*\(\s*"(?P<route>/[^"]*)"\s*,\s*(?:web::)?(?P<verb>{_VERBS})\s*\(',
        ".route(",
    ),
    # Spring: @GetMapping("/x"), @RequestMapping("/x")
    _p(
        r"@(?P<verb>Get|Post|Put|Delete|Patch|Request)Mapping\s*\(\s*"
        r'(?:value\s*=\s*|path\s*=\s*)?"(?P<route>[^"]*)"',
        "Mapping",
    ),
]
_URL = (
    r"""(?:(?P<base>[\w.]+)\s*\+\s*)?['"`](?:\$?\{(?P<base2>[\w.]+)\})?"""
    r"""(?P<url>(?:https?://[^'"`\s/]+)?/[^'"`\s]*|https?://[^'"`\s]+)['"`]"""
)
# Requests with a literal URL or route; group `verb` when the call names the method.
_REQUESTS: list[_Pattern] = [
    _p(
        rf"\b(?:requests|httpx|session|client|axios|http|superagent)\.(?P<verb>{_VERBS})"
        rf"\s*\(\s*f?{_URL}",
        "requests.",
        "httpx.",
        "session.",
        "client.",
        "axios.",
        "http.",
        "superagent.",
    ),
    _p(rf"\bfetch\s*\(\s*{_URL}", "fetch"),
    _p(rf"\bhttp\.(?P<verb>Get|Post|Head)\s*\(\s*{_URL}", "http."),
    _p(
        rf'\bhttp\.NewRequest(?:WithContext)?\s*\([^,]*?,?\s*"(?P<verb>\w+)"\s*,\s*'
        rf"{_URL}",
        "NewRequest",
    ),
    _p(rf"\.(?P<verb>Get|Post|Put|Delete|Patch)Async\s*\(\s*{_URL}", "Async"),
]
_ADDRESS_ENDINGS = ("_ADDR", "_URL", "_URI", "_HOST", "_ENDPOINT")
_ENV = [
    _p(
        r"""['"`]([A-Z][A-Z0-9_]*_(?:ADDR|ADDRESS|URL|URI|HOST|HOSTNAME|ENDPOINT))['"`]""",
        *_ADDRESS_ENDINGS,
    ),
    _p(
        r"\bprocess\.env\.([A-Z][A-Z0-9_]*_(?:ADDR|ADDRESS|URL|URI|HOST|HOSTNAME|ENDPOINT))\b",
        "process.env.",
    ),
]
_STARTS = [
    (_p(r"\bhttp\.ListenAndServe(?:TLS)?\s*\(", "ListenAndServe"), "HTTP server"),
    (_p(r"\.Serve\s*\(\s*\w+\s*\)", ".Serve"), "gRPC server"),
    (_p(r"\bgrpc\.server\s*\(", "grpc.server"), "gRPC server"),
    (_p(r"\bnew\s+grpc\.Server\s*\(", "grpc.Server"), "gRPC server"),
    (_p(r"\bServerBuilder\.forPort\s*\(", "ServerBuilder"), "gRPC server"),
    (_p(r"\b(?:app|server)\.listen\s*\(", ".listen"), "HTTP server"),
    (_p(r"\bapp\.run\s*\(|\buvicorn\.run\s*\(", ".run"), "HTTP server"),
    (_p(r"\bapp\.Run(?:Async)?\s*\(|\.Build\(\)\s*\.Run(?:Async)?\s*\(", ".Run"), "web host"),
    (_p(r"\bHttpServer::new\s*\(|\baxum::serve\s*\(", "HttpServer::", "axum::"), "HTTP server"),
    (_p(r"\bServer::builder\s*\(\s*\)", "Server::builder"), "gRPC server"),
    # A classic Sinatra app serves once it is required; Slim and Laravel apps on run()
    (_p(r"""(?m)^\s*require\s*\(?\s*['"]sinatra['"]""", "sinatra"), "HTTP server (Sinatra)"),
    (_p(r"\$app->run\s*\(", "->run"), "HTTP server"),
]


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


class _Lines:
    """Line numbers of offsets in one text, from one pass over it."""

    def __init__(self, text: str) -> None:
        self.starts = [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) + 1


def _url_parts(url: str) -> tuple[str, str]:
    """(host, route) of a literal URL or route."""
    m = re.match(r"https?://([^/:]+)(?::\d+)?(/.*)?$", url)
    if m:
        return m.group(1), m.group(2) or "/"
    return "", url


def _base_name(base: str) -> str:
    """The service a request's base names, from the variable that holds its address:
    `cs.emailSvcAddr` and `EMAIL_SERVICE_URL` → `email`; "" when it names none."""
    name = base.rsplit(".", 1)[-1]
    name = re.sub(r"(?i)_?(svc|service)?_?(addr|address|url|uri|host|endpoint|base)$", "", name)
    return name if len(name) > 1 else ""


def scan(path: str, language: str | None, text: str) -> list[Site]:
    """The integration sites in one code file, in order of line."""
    sites: list[Site] = []
    line_of = _Lines(text)
    for role, pattern in _GRPC.get(language or "", []):
        detail = {SERVES: "registers", IMPLEMENTS: "implements"}.get(role, "")
        role = SERVES if role == IMPLEMENTS else role
        for m in pattern.finditer(text):
            name = next((g for g in m.groups() if g), "")
            if name:
                sites.append(Site(path, line_of(m.start()), role, name, detail))
    for pattern in _ROUTES:
        for m in pattern.finditer(text):
            found = m.groupdict()
            verb = (found.get("verb2") or found.get("verb") or "").upper()
            if verb in ("ROUTE", "REQUEST", ""):
                verb = "ANY"
            route = "/" + found["route"].lstrip("/")
            sites.append(Site(path, line_of(m.start()), ROUTE, f"{verb} {route}"))
    for pattern in _REQUESTS:
        for m in pattern.finditer(text):
            found = m.groupdict()
            verb, url = found.get("verb") or "GET", found["url"]
            host, route = _url_parts(url)
            host = host or _base_name(found.get("base") or found.get("base2") or "")
            sites.append(Site(path, line_of(m.start()), REQUEST, f"{verb.upper()} {route}", host))
    for pattern in _ENV:
        for m in pattern.finditer(text):
            sites.append(Site(path, line_of(m.start()), ENV, m.group(1)))
    for pattern, what in _STARTS:
        for m in pattern.finditer(text):
            sites.append(Site(path, line_of(m.start()), STARTS, what))
    return sorted(set(sites), key=lambda s: (s.line, s.role, s.name))


def rpc_spellings(rpc: str, language: str | None = None) -> set[str]:
    """How a generated client of `language` names the method of `rpc` (every spelling
    when the language is unknown): Go, Python, C#, C++ and PHP keep `GetCart`; Java and
    Kotlin write `getCart`; Ruby and Rust `get_cart`; JavaScript either of the first two."""
    lower = rpc[:1].lower() + rpc[1:]
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", rpc).lower()
    by_language = {
        "go": {rpc},
        "python": {rpc},
        "csharp": {rpc, f"{rpc}Async"},
        "cpp": {rpc},
        "c": {rpc},
        "php": {rpc},
        "java": {lower},
        "kotlin": {lower},
        "ruby": {snake},
        "rust": {snake},
        "javascript": {rpc, lower},
        "typescript": {rpc, lower},
        "tsx": {rpc, lower},
    }
    return by_language.get(language or "", {rpc, lower, snake})


def rpc_uses(text: str, rpcs: list[str], language: str | None = None) -> list[tuple[str, int]]:
    """(rpc, line) where `text` calls one of `rpcs` as a method of a client, spelled as
    `language`'s generated clients spell it (`rpc_spellings`): a Go method
    `cs.sendOrderConfirmation(` is the service's own code, not a call of the rpc."""
    found = []
    for rpc in rpcs:
        spellings = rpc_spellings(rpc, language)
        # `client.\n\t\tGetCart(` as gofmt breaks a long chain; `stub->GetCart(` in C++ and PHP
        pattern = re.compile(r"(?:\.|->)\s*(" + "|".join(map(re.escape, spellings)) + r")\s*\(")
        m = pattern.search(text)
        if m:
            found.append((rpc, _line(text, m.start(1))))
    return found
