"""The context recipes on a real repository: what must be in is in, what must be out
is out, the budget holds for any budget, secrets never appear, and a second gathering
re-parses only what changed.

In-process through `run_gather`, the function the server's gatherer processes run.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cowork.config import Settings
from cowork.context.budget import LocalEstimator
from cowork.context.index import WorkspaceIndex
from cowork.context.reader import ContextReader
from cowork.engine.gatherer import index_for, run_gather
from cowork.errors import InputError, TaskFailure
from cowork.kinds.base import Gathered, GatherRequest, Piece
from cowork.kinds.overview import Architecture
from cowork.kinds.prompt import render_part
from cowork.kinds.research import Research
from cowork.kinds.review import Review
from cowork.kinds.summarize import Summarize
from cowork.kinds.workspace_map import map_piece
from planted import AWS_KEY, FILES, LOCAL_SALT, NEVER_SENT, SECRETS, leaks, planted_repo
from repos import commit, git, init_repo

KINDS: dict[str, Any] = {
    "summarize": Summarize(),
    "architecture": Architecture(),
    "research": Research(),
    "review": Review(),
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted repository, built once for the module (read-only in these tests)."""
    return planted_repo(tmp_path_factory.mktemp("recipes") / "shop")


def gather(
    kind: str,
    root: Path,
    params: dict[str, Any],
    *,
    budget: int = 60000,
    reserved: int = 0,
    overlays: dict[str, str] | None = None,
    exclude: tuple[str, ...] = (),
) -> Gathered:
    validated = KINDS[kind].validate(params, root)
    return run_gather(
        kind,
        GatherRequest(
            root=root,
            params=validated,
            settings=Settings(context_budget_tokens=budget, exclude=exclude),
            overlays=overlays or {},
            reserved_tokens=reserved,
        ),
    )


def uri(root: Path, rel: str = "") -> str:
    return (root / rel).as_uri()


def part(g: Gathered, title: str) -> Piece:
    found = [p for p in g.parts if p.title == title]
    assert found, f"no part {title!r} in {[p.title for p in g.parts]}"
    return found[0]


def sources(g: Gathered) -> set[str]:
    return {p.source for p in g.parts if p.source}


def task_text(g: Gathered) -> str:
    """`everything` but the workspace map, which every task sends (names of all files)."""
    texts = [
        f"{p.title}\n{p.text}\n{p.outline or ''}"
        for p in g.candidates
        if p.title != "Workspace map"
    ]
    return "\n".join([*texts, g.offline_report])


def everything(g: Gathered) -> str:
    """All the text of a gathering a model could ever be sent (every candidate, whole and
    as outline: the engine may fit again from them), plus the offline report."""
    texts = [render_part(p) for p in g.parts]
    texts += [f"{p.title}\n{p.text}\n{p.outline or ''}" for p in g.candidates]
    return "\n".join([*texts, g.offline_report])


def summarize(root: Path, rel: str, **kw: Any) -> Gathered:
    return gather("summarize", root, {"uri": uri(root, rel)}, **kw)


# -- summarize -------------------------------------------------------------------------


def test_summarize_python_module_in_and_out(shop: Path) -> None:
    g = summarize(shop, "api/handlers.py")

    target = part(g, "api/handlers.py (the module to summarise)")
    assert target.text == (shop / "api/handlers.py").read_text()
    store = part(g, "api/store.py (imported; outline)")
    assert "Store" in store.text and "get(self, order_id: str)" in store.text
    assert "return {}" not in store.text  # an outline, not the code
    assert "client(" in part(g, "api/settings.py (imported; outline)").text
    assert "api/main.py:3" in part(g, "Who imports api/handlers.py").text
    assert part(g, "tests/test_handlers.py (tests)").text == FILES["tests/test_handlers.py"]
    assert "Start the shop" in part(g, "Recent history of api/handlers.py").text
    # The map is offered as the shared prefix, not packed with the task's own context:
    # the engine decides whether it goes (kinds/prefix_plan.py).
    assert g.shared is not None and g.shared.title == "Workspace map" and g.shared.stable
    assert "Workspace map" not in [p.title for p in g.parts]

    # Unrelated files are out; what is in is exactly what provenance lists.
    for rel in ("api/unrelated.py", "worker/main.py", "web/src/client.ts", "README.md"):
        assert rel not in sources(g)
    assert "lonely_helper" not in task_text(g)
    assert {f.path for f in g.files} == sources(g)
    hashes = {f.path: f.sha256 for f in g.files}
    assert (
        hashes["api/store.py"] == hashlib.sha256((shop / "api/store.py").read_bytes()).hexdigest()
    )
    assert g.cuts == [] and 0 < g.tokens <= g.budget


def test_an_imported_gitignored_module_is_excluded_not_taken_for_a_package(shop: Path) -> None:
    g = summarize(shop, "api/handlers.py")
    assert ("api/secrets_local.py", "ignored by git") in g.excluded
    assert "api/secrets_local.py" not in sources(g)
    assert LOCAL_SALT not in everything(g)
    assert "`api/secrets_local.py` (ignored by git)" in g.offline_report
    assert "Third-party" not in g.offline_report  # not mistaken for a package


def test_summarize_typescript_module(shop: Path) -> None:
    g = summarize(shop, "web/src/client.ts")
    assert "fetchOrder" in part(g, "web/src/client.ts (the module to summarise)").text
    assert "interface Order" in part(g, "web/src/model.ts (imported; outline)").text
    assert "web/src/index.ts:1" in part(g, "Who imports web/src/client.ts").text
    assert "fetchOrder" in part(g, "web/src/client.test.ts (tests)").text
    assert "Recent history of web/src/client.ts" in [p.title for p in g.parts]
    assert sources(g) == {"web/src/client.ts", "web/src/model.ts", "web/src/client.test.ts"}
    assert "lonelyConstant" not in everything(g)
    assert ("web/src/config.local.ts", "ignored by git") in g.excluded
    assert LOCAL_SALT not in everything(g) and "./config.local" not in g.offline_report


@pytest.mark.parametrize("rel", ["api/secrets_local.py", ".env", "deploy/id_rsa", "web/.npmrc"])
def test_summarizing_a_file_that_is_never_sent_fails_with_the_reason(shop: Path, rel: str) -> None:
    with pytest.raises(TaskFailure, match=f"excluded from context: .*{NEVER_SENT[rel]}"):
        summarize(shop, rel)


def test_links_are_judged_by_where_they_lead(shop: Path) -> None:
    # The argument is resolved: a link to .env is .env.
    with pytest.raises(TaskFailure, match=r"^\.env is excluded from context: environment file"):
        summarize(shop, "docs/dotenv.txt")
    with pytest.raises(InputError, match="outside the workspace"):
        summarize(shop, "docs/outside.txt")
    # Found inside a named folder, the links are excluded by what they point at.
    g = gather("research", shop, {"question": "What is in docs?", "uris": [uri(shop, "docs")]})
    excluded = dict(g.excluded)
    assert "environment file" in excluded["docs/dotenv.txt"]
    assert "outside the workspace" in excluded["docs/outside.txt"]
    assert not leaks(everything(g)) and sources(g) == set()
    # A path through a linked folder is judged the same way.
    reader = ContextReader(shop, WorkspaceIndex(shop))
    assert reader.text("docs/outside/notes.txt") is None
    assert reader.excluded["docs/outside/notes.txt"] == (
        "symbolic link to a file outside the workspace"
    )


def test_exclude_setting_keeps_an_imported_module_out(shop: Path) -> None:
    g = summarize(shop, "api/handlers.py", exclude=("api/store.py",))
    assert "api/store.py" not in sources(g)
    assert ("api/store.py", "matches the cowork.exclude setting") in g.excluded


# -- unsaved editor text ---------------------------------------------------------------


def test_unsaved_editor_text_wins_over_disk(shop: Path) -> None:
    handlers = FILES["api/handlers.py"].replace(
        "from api.store import Store\n", "from api.store import Store\nfrom api import unrelated\n"
    )
    store = FILES["api/store.py"] + "\n    def put(self, order_id: str) -> None:\n        pass\n"
    g = summarize(
        shop, "api/handlers.py", overlays={"api/handlers.py": handlers, "api/store.py": store}
    )

    assert part(g, "api/handlers.py (the module to summarise)").text == handlers
    assert "put(self, order_id: str)" in part(g, "api/store.py (imported; outline)").text
    # The unsaved import counts: the graph is built from what the user sees.
    assert "lonely_helper" in part(g, "api/unrelated.py (imported; outline)").text
    hashes = {f.path: f.sha256 for f in g.files}
    assert hashes["api/handlers.py"] == hashlib.sha256(handlers.encode()).hexdigest()
    assert hashes["api/store.py"] == hashlib.sha256(store.encode()).hexdigest()
    # Unsaved text is redacted like saved text.
    leaky = {"api/handlers.py": handlers + f'\nBACKUP_KEY = "{AWS_KEY}"\n'}
    unsaved = summarize(shop, "api/handlers.py", overlays=leaky)
    assert AWS_KEY not in everything(unsaved)
    assert "AWS access key id" in dict(unsaved.redacted)["api/handlers.py"]
    # Disk is untouched, and the next gathering without the buffers sees the disk again.
    again = summarize(shop, "api/handlers.py")
    assert "put(" not in part(again, "api/store.py (imported; outline)").text


def test_an_open_editor_buffer_does_not_unignore_a_file(shop: Path) -> None:
    unsaved = {"api/secrets_local.py": f'SIGNING_SALT = "{LOCAL_SALT}-edited"\n'}
    with pytest.raises(TaskFailure, match="ignored by git"):
        summarize(shop, "api/secrets_local.py", overlays=unsaved)
    g = summarize(shop, "api/handlers.py", overlays=unsaved)
    assert ("api/secrets_local.py", "ignored by git") in g.excluded
    assert LOCAL_SALT not in everything(g)
    # A buffer not saved yet, at a path .gitignore names, is ignored too.
    reader = ContextReader(shop, WorkspaceIndex(shop), {"api/secrets_local.py.bak": "x = 1\n"})
    assert reader.why_excluded("api/secrets_local.py.bak") is None  # not ignored: sent
    reader = ContextReader(shop, WorkspaceIndex(shop), {"api/secrets_local.py": "x = 1\n"})
    assert reader.text("api/secrets_local.py") is None
    assert reader.excluded["api/secrets_local.py"] == "ignored by git"


# -- architecture and research --------------------------------------------------------


def test_architecture_entry_points_protocols_edges_and_shared_config(shop: Path) -> None:
    folders = ["api", "worker", "web", "proto"]
    g = gather("architecture", shop, {"uris": [uri(shop, f) for f in folders]})
    report = g.offline_report

    for entry in ("api/main.py", "worker/main.py", "web/src/index.ts"):
        assert f"Entry points: `{entry}`." in report  # Python and TypeScript alike
    assert {"api/openapi.yaml", "proto/orders.proto"} <= sources(g)
    assert "getOrder" in part(g, "api/openapi.yaml").text
    edges = part(g, "Imports between the given paths").text
    assert "worker -> api: worker/main.py:3 → api/store.py" in edges
    assert "`worker` imports from `api`" in report
    # Config shared by the services: the same file in each, and what sits above them.
    assert "- `Dockerfile` in `api`, `web`, `worker`" in report
    assert 'password: "[REDACTED: secret assignment]"' in part(g, "config.yaml (shared)").text
    assert "build: worker" in part(g, "docker-compose.yml (shared)").text
    api = part(g, "Public outline of api").text
    assert "handle(path: str) -> str" in api and "Store" in api
    assert "fetchOrder" in part(g, "Public outline of web").text
    # Out: files outside the given folders that are neither shared config nor protocols.
    assert not sources(g) & {"tests/test_handlers.py", "README.md", ".gitignore"}
    assert "test_handle" not in task_text(g)
    assert not any(p.stable for p in g.parts)  # the map is the engine's to place


def test_research_named_files_and_the_workspace_outline(shop: Path) -> None:
    named = ["api/store.py", "web/src/model.ts"]
    g = gather(
        "research",
        shop,
        {"question": "Should orders move to SQLite?", "options": ["SQLite", "Postgres"]}
        | {"uris": [uri(shop, n) for n in named]},
    )
    for rel in named:
        assert part(g, rel).text == FILES[rel]
    # Research's outline is the map: part of its own context (uncached until the engine
    # makes it the shared prefix), the same text as the prefix every task offers.
    outline = part(g, "Workspace map")
    assert not outline.stable and "api/store.py: Store" in outline.text
    assert g.shared is not None and outline.text == g.shared.text
    assert "web/src/client.ts: fetchOrder" in outline.text
    assert [p.title for p in g.parts][:1] == ["Workspace map"]
    assert sources(g) == set(named)
    assert "1. SQLite" in g.offline_report


def test_research_naming_an_ignored_file_says_why_it_is_not_sent(shop: Path) -> None:
    g = gather("research", shop, {"question": "Why?", "uris": [uri(shop, "api/secrets_local.py")]})
    assert ("api/secrets_local.py", "ignored by git") in g.excluded
    assert "`api/secrets_local.py`: not sent (ignored by git)" in g.offline_report
    assert LOCAL_SALT not in everything(g)


# -- the budget ------------------------------------------------------------------------


def functions(prefix: str, count: int) -> str:
    return "".join(
        f"def {prefix}_{j}(value: int, scale: float = 1.0) -> float:\n"
        f'    """Scale the value by {j}, then shift it."""\n'
        f"    return value * scale + {j}\n\n\n"
        for j in range(count)
    )


def ts_functions(prefix: str, count: int) -> str:
    return "".join(
        f"export function {prefix}{j}(value: number, scale = 1): number {{\n"
        f"  return value * scale + {j};\n}}\n\n"
        for j in range(count)
    )


def big_repo(root: Path) -> Path:
    """Big enough that every recipe has more to offer than a 1,000–20,000-token budget."""
    files: dict[str, str | bytes] = {"pkg/__init__.py": "", "README.md": "# big\n" * 50}
    deps = [f"mod{i}" for i in range(12)]
    for dep in deps:
        files[f"pkg/{dep}.py"] = f'"""Helpers {dep}."""\n\n\n' + functions(f"{dep}_helper", 30)
    files["pkg/core.py"] = (
        '"""The core."""\n\n'
        + "".join(f"from pkg import {dep}\n" for dep in deps)
        + "\n\n"
        + functions("core", 80)
    )
    for k in range(15):
        files[f"pkg/use{k}.py"] = "from pkg import core\n\n\n" + functions(f"use{k}", 5)
    files["tests/test_core.py"] = "from pkg import core\n\n\n" + functions("test_core", 60)
    for k in range(3):
        files[f"tests/test_more{k}.py"] = "from pkg import core\n\n\n" + functions("test", 40)
    for i in range(8):
        files[f"web/src/dep{i}.ts"] = ts_functions(f"dep{i}_", 20)
    files["web/src/core.ts"] = (
        "".join(f'import {{ dep{i}_0 }} from "./dep{i}";\n' for i in range(8))
        + "\n"
        + ts_functions("core", 100)
    )
    files["web/src/core.test.ts"] = 'import { core0 } from "./core";\n\n' + ts_functions("t", 60)
    files["web/src/main.ts"] = 'import { core0 } from "./core";\n\ncore0(1);\n'
    init_repo(root)
    commit(root, "Start", files)
    for n in range(3):
        commit(root, f"Tune the core, take {n}", {"pkg/core.py": files["pkg/core.py"] + f"# {n}\n"})
    return root


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_repo(tmp_path_factory.mktemp("budget") / "big")


def recipes(root: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("summarize", {"uri": uri(root, "pkg/core.py")}),
        ("summarize", {"uri": uri(root, "web/src/core.ts")}),
        ("architecture", {"uris": [uri(root, f) for f in ("pkg", "tests", "web")]}),
        ("research", {"question": "How to scale?", "uris": [uri(root, "pkg"), uri(root, "web")]}),
    ]


def test_the_budget_cuts_shrink_before_they_drop_and_the_target_comes_first(big: Path) -> None:
    """The property below is not vacuous: these recipes do overflow small budgets."""
    actions: set[str] = set()
    for kind, params in recipes(big):
        whole = gather(kind, big, params, budget=2_000_000)
        assert whole.cuts == [] and whole.tokens > 10000, (kind, whole.tokens)
        tight = gather(kind, big, params, budget=3000)
        assert tight.cuts and tight.tokens <= 3000, kind
        actions |= {why.split(":")[0] for _, why in tight.cuts}
    assert actions == {"shrunk to its outline", "dropped"}
    g = gather("summarize", big, recipes(big)[0][1], budget=3000)
    assert "pkg/core.py (the module to summarise) (outline only)" in [p.title for p in g.parts]
    assert ("pkg/core.py (the module to summarise) (pkg/core.py)", "shrunk to its outline") in [
        (what, why.split(":")[0]) for what, why in g.cuts
    ]


def test_a_module_too_big_for_the_budget_fails_instead_of_going_without_it(big: Path) -> None:
    with pytest.raises(TaskFailure, match=r"pkg/core.py does not fit the 1,000-token .* outline"):
        summarize(big, "pkg/core.py", budget=1000)


def title_without_outline(title: str) -> str:
    return title.removesuffix(" (outline only)")


def cut_name(piece: Piece) -> str:
    return piece.title if piece.source is None else f"{piece.title} ({piece.source})"


@settings(max_examples=40, deadline=None)  # a module-scoped fixture: one repository
@given(budget=st.integers(1000, 20000), share=st.integers(0, 90))
def test_the_budget_is_never_exceeded_and_every_cut_is_listed(
    big: Path, budget: int, share: int
) -> None:
    root = big
    reserved = budget * share // 100
    estimator = LocalEstimator()
    for number, (kind, params) in enumerate(recipes(root)):
        try:
            g = gather(kind, root, params, budget=budget, reserved=reserved)
        except TaskFailure as exc:
            # Only the module to summarise may stop a task, and only when not even its
            # outline fits: a summary request without the module would be noise.
            (target,) = [p for p in roomy(root, number).candidates if p.required]
            assert target.outline is not None and "does not fit" in str(exc)
            outline = replace(target, title=f"{target.title} (outline only)", text=target.outline)
            assert estimator.count(render_part(outline)) > budget - reserved
            continue
        sent = sum(estimator.count(render_part(p)) for p in g.parts)
        assert sent + reserved <= budget
        assert g.tokens == sent + reserved <= g.budget == budget

        # Every candidate is sent whole, sent as its outline, or listed as dropped.
        whole = Counter(p.title for p in g.parts if not p.title.endswith(" (outline only)"))
        shrunk = Counter(title_without_outline(p.title) for p in g.parts) - whole
        cuts = dict(g.cuts)
        assert len(cuts) == len(g.cuts)
        for piece in g.candidates:
            if whole[piece.title]:
                whole[piece.title] -= 1
                assert cut_name(piece) not in cuts
            elif shrunk[piece.title]:
                shrunk[piece.title] -= 1
                assert cuts[cut_name(piece)].startswith("shrunk to its outline: over the ")
            else:
                assert cuts[cut_name(piece)].startswith("dropped: over the ")
        assert (
            not +whole
            and not +shrunk
            and len(g.parts) + sum(why.startswith("dropped") for why in cuts.values())
            == len(g.candidates)
        )

        # The stable parts come first, for prompt caching.
        flags = [p.stable for p in g.parts]
        assert flags == sorted(flags, reverse=True)
        # The target is taken first: whole or as its outline, it is always there.
        if kind == "summarize":
            assert "(the module to summarise)" in "".join(p.title for p in g.parts)


_roomy: dict[tuple[Path, int], Gathered] = {}


def roomy(root: Path, number: int) -> Gathered:
    """Recipe `number` of `recipes(root)` under a budget that cuts nothing."""
    if (root, number) not in _roomy:
        kind, params = recipes(root)[number]
        _roomy[root, number] = gather(kind, root, params, budget=2_000_000)
    return _roomy[root, number]


# -- secrets ---------------------------------------------------------------------------


def secret_runs(root: Path) -> list[tuple[str, dict[str, Any]]]:
    named = git(root, "ls-files").splitlines()
    named = [n for n in named if not n.startswith("docs/outside")]  # links out: refused
    return [
        ("summarize", {"uri": uri(root, "api/settings.py")}),
        ("summarize", {"uri": uri(root, "api/handlers.py")}),
        ("summarize", {"uri": uri(root, "web/src/client.ts")}),
        ("architecture", {"uris": [uri(root)]}),
        ("architecture", {"uris": [uri(root, f) for f in ("api", "worker", "web", "proto")]}),
        ("research", {"question": "Where are secrets?", "uris": [uri(root, n) for n in named]}),
        ("research", {"question": "And here?", "uris": [uri(root, "docs"), uri(root, "web")]}),
        ("review", {"base": "main"}),
    ]


@pytest.mark.parametrize("index", range(8))
def test_planted_secrets_never_appear(shop: Path, index: int) -> None:
    kind, params = secret_runs(shop)[index]
    g = gather(kind, shop, params)
    assert g.parts
    assert not leaks(everything(g)), (kind, params, leaks(everything(g)))
    # Provenance says why: nothing silently vanished.
    excluded = dict(g.excluded)
    for rel in (".env", "deploy/id_rsa"):
        assert NEVER_SENT[rel] in excluded[rel]
    for rel in sources(g):
        assert rel not in excluded
    redacted = dict(g.redacted)
    if "api/settings.py" in sources(g) or kind == "review":
        assert "AWS secret access key" in redacted["api/settings.py"]
    if "config.yaml" in sources(g):
        assert "secret assignment (line 3)" in redacted["config.yaml"]
    if "web/src/client.ts" in sources(g):
        assert "GitHub token" in redacted["web/src/client.ts"]


def test_every_kind_of_planted_secret_is_accounted_for(shop: Path) -> None:
    """Across the runs, each file holding a secret is reported excluded or redacted."""
    excluded: dict[str, str] = {}
    redacted: dict[str, str] = {}
    for kind, params in secret_runs(shop):
        g = gather(kind, shop, params)
        excluded |= dict(g.excluded)
        redacted |= dict(g.redacted)
    for rel, why in NEVER_SENT.items():
        assert why in excluded[rel], (rel, excluded.get(rel))
    assert "AWS access key id" in redacted["api/settings.py"]


def test_the_planted_secrets_are_really_there(shop: Path) -> None:
    """So that finding none of them in what is sent means something."""
    on_disk = "".join(
        path.read_text() for path in shop.rglob("*") if ".git" not in path.parts and path.is_file()
    )
    history = git(shop, "log", "-p", "--all")
    assert [s for s in SECRETS if s not in on_disk + history] == []


def test_review_hides_secret_files_and_redacts_the_rest(shop: Path) -> None:
    g = gather("review", shop, {"base": "main"})
    sent = "\n".join(render_part(p) for p in g.parts)
    assert "Rotate the credentials" in sent and "api/settings.py" in sent
    assert "[REDACTED: AWS secret access key]" in sent
    for rel in (".env", "deploy/id_rsa", "web/.npmrc"):
        assert rel in dict(g.excluded)
    assert not leaks(everything(g))


# -- the parse cache -------------------------------------------------------------------


def small_repo(root: Path) -> Path:
    init_repo(root)
    commit(
        root,
        "Start",
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n\n\ndef alpha() -> int:\n    return b.beta()\n",
            "pkg/b.py": "def beta() -> int:\n    return 1\n",
            "pkg/c.py": "def gamma() -> int:\n    return 3\n",
            "web/x.ts": 'import { y } from "./y";\nexport const x = y;\n',
            "web/y.ts": "export const y = 1;\n",
            "README.md": "# small\n",
            ".env": "TOKEN=abcdef123456\n",
        },
    )
    return root


def test_a_second_gathering_reparses_only_the_changed_file(tmp_path: Path) -> None:
    root = small_repo(tmp_path / "small")
    index = index_for(root)
    first = summarize(root, "pkg/a.py")
    assert index.parses == len(git(root, "ls-files").splitlines()) - 1  # all but .env
    assert "beta() -> int" in part(first, "pkg/b.py (imported; outline)").text

    # Same size, and at once: (mtime, size) alone could miss it.
    b = root / "pkg/b.py"
    before = b.stat()
    b.write_text(b.read_text().replace("beta", "bet4"))
    os.utime(b, ns=(before.st_atime_ns, before.st_mtime_ns))
    second = summarize(root, "pkg/a.py")
    assert index.parses == 8
    assert "bet4() -> int" in part(second, "pkg/b.py (imported; outline)").text

    summarize(root, "pkg/a.py")
    assert index.parses == 8  # nothing changed: nothing parsed

    (root / "web/y.ts").write_text("export function y(): number {\n  return 2;\n}\n")
    third = summarize(root, "web/x.ts")
    assert index.parses == 9
    assert "y(): number" in part(third, "web/y.ts (imported; outline)").text


def test_caching_sees_a_file_added_and_one_removed(tmp_path: Path) -> None:
    root = small_repo(tmp_path / "small")
    index = index_for(root)
    summarize(root, "pkg/a.py")
    parses = index.parses
    (root / "pkg/c.py").unlink()
    (root / "pkg/d.py").write_text("from pkg import a\n")
    g = summarize(root, "pkg/a.py")
    assert index.parses == parses + 1
    assert "pkg/d.py:1" in part(g, "Who imports pkg/a.py").text
    assert "pkg/c.py" not in everything(g)


def test_every_task_offers_the_same_workspace_map(shop: Path) -> None:
    """The map is built from the workspace and the budget alone, so two different tasks
    share it byte for byte (the cacheable prefix); a small budget gets a coarser map."""
    tasks = [
        gather("summarize", shop, {"uri": uri(shop, "api/handlers.py")}),
        gather("research", shop, {"question": "Move to SQLite?", "uris": [uri(shop, "api")]}),
        gather("architecture", shop, {"uris": [uri(shop, "api"), uri(shop, "web")]}),
    ]
    maps = [g.shared for g in tasks]
    assert maps[0] is not None and all(m == maps[0] for m in maps)  # identical
    assert maps[0].stable and "api/store.py: Store" in maps[0].text
    assert "def " not in maps[0].text  # names, not code

    reader = ContextReader(shop, WorkspaceIndex(shop), {}, (), None)
    for budget in (400, 250, 120):  # less and less detail, always within its share
        coarse = map_piece(reader, budget)
        assert LocalEstimator().count(coarse.text) <= budget * 0.6
        assert ": Store" not in coarse.text


def test_the_workspace_map_is_rebuilt_only_when_what_it_lists_changes(shop: Path) -> None:
    """An edit inside a function keeps the map (and so the cached prefix); a new public
    name changes it."""
    index = WorkspaceIndex(shop)
    store = (shop / "api/store.py").read_text()

    def the_map(overlays: dict[str, str]) -> Piece:
        return map_piece(ContextReader(shop, index, overlays, (), None), 60_000)

    first = the_map({})
    assert the_map({"api/store.py": store + "\n# a comment\n"}) is first
    grown = the_map({"api/store.py": store + "\n\ndef added_later() -> None:\n    pass\n"})
    assert grown is not first and "added_later" in grown.text
