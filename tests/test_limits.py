"""Limits and bad input for architecture briefs. A repository of 100,000 files, 90,000
of them vendored (bigrepo.py) with a vendored folder that is a symbolic link: the task
completes, provenance lists the vendored code by folder with the reason, and nothing
vendored is outlined or sent (the bytes the real Anthropic SDK sends to the local fake).
A protobuf and an OpenAPI file that do not parse, and a Kubernetes manifest of many
documents with `{{ }}` templating: each is a note in provenance, and what can be read is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bigrepo import VENDORED_GO, VENDORED_NAME, big_repo
from boutique import SERVICES, boutique_repo
from conftest import architecture_of, artifact_of, server_env
from cowork.artifacts import read_provenance
from fakeapi import FakeAnthropic
from repos import commit, write
from test_integration_points import _texts

KEY = "sk-ant-test-bigrepo-0123456789abcdef"
GIVEN = ["src/cart", "src/web"]


# A first gathering lists and judges 100,000 paths (about 20 s alone, more beside other
# tests on two cores): bounds for that, still bounds.
@pytest.mark.timeout(420)
async def test_a_repository_of_100000_files_mostly_vendored(tmp_path: Path) -> None:
    root = big_repo(tmp_path / "big")
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere, {"dep/dep.go": VENDORED_GO})
    os.symlink(elsewhere, root / "src" / "cart" / "vendor")
    with FakeAnthropic(text="## Services\n\nA draft.\n") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        done = await architecture_of(root, GIVEN, env, {"provider": "anthropic"}, timeout=300)
    (request,) = [r for r in api.requests if r.route == "/v1/messages"]
    text = "\n".join(_texts(request.json))
    # The services' own code and how they talk is there; nothing vendored is.
    assert "`src/web` → `src/cart`: gRPC `CartService.GetCart`" in text
    assert "function show(req, res)" in text
    assert VENDORED_NAME not in text and "node_modules" not in text
    # Callers are looked for outside the given paths up to a cap, which is said.
    assert "5,997 more code files outside the given paths were not scanned" in text
    context = read_provenance(Path(done["artifactUri"].removeprefix("file://")))["context"]
    excluded = {e["path"]: e["reason"] for e in context["excluded"]}
    # By folder with the reason and a count, not 90,000 lines.
    assert excluded["vendor/"] == "vendored (vendor/): 60,000 files"
    assert excluded["src/web/node_modules/"] == "vendored (node_modules/): 30,000 files"
    assert len(excluded) < 10
    files = {f["path"] for f in context["files"]}
    assert not [f for f in files if "vendor" in f or "node_modules" in f]
    assert (
        "src/cart/vendor/ is a symbolic link to a folder: vendored code, not followed or read"
        in context["notes"]
    )


def many_documents() -> str:
    """199 Services of a chart, then the checkout Deployment, templated throughout."""
    services = [
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {{{{ .Release.Name }}}}-svc{i}\n"
        f"spec:\n  ports:\n    - port: {8000 + i}\n"
        for i in range(199)
    ]
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkoutservice\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: server\n"
        '          image: "{{ .Values.registry }}/checkout:{{ .Chart.AppVersion }}"\n'
        "          env:\n            - name: CART_SERVICE_ADDR\n"
        '              value: "cartservice:7070"\n'
    )
    return "---\n".join([*services, deployment])


async def test_unreadable_protocols_and_templated_manifests_are_noted(tmp_path: Path) -> None:
    root = boutique_repo(tmp_path / "boutique")
    manifest = many_documents()
    commit(
        root,
        "A chart and an API description",
        {
            "helm/shop/templates/all.yaml": manifest,
            "api/openapi.yaml": "openapi: 3.0.0\npaths:\n  /cart: [unclosed\n",
        },
    )
    done = await architecture_of(root, list(SERVICES), server_env())
    artifact = artifact_of(done)
    notes = read_provenance(artifact)["context"]["notes"]
    assert any(n.startswith("`protos/legacy/broken.proto` does not parse") for n in notes)
    assert any(n.startswith("`api/openapi.yaml` does not parse") for n in notes), notes
    assert any(n.startswith("`helm/shop/templates/all.yaml` is templated") for n in notes)
    # The last of 200 documents is read, its literal address matched to the service.
    line = manifest.count("\n", 0, manifest.index('value: "cartservice:7070"')) + 1
    assert (
        "- `src/checkoutservice` → `src/cartservice`: env `CART_SERVICE_ADDR` (Kubernetes) "
        f"(`helm/shop/templates/all.yaml:{line}`; also `kubernetes-manifests/services.yaml:"
    ) in artifact.read_text()
