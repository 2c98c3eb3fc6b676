"""What the forkserver imports once for every worker it forks: the gathering code and
every kind (which otherwise load on first use), so that their code is shared by the
workers, not imported by each. Never imported by the server or a CLI run itself."""

from __future__ import annotations

from cowork import kinds
from cowork.engine import gatherer  # noqa: F401 -- imported for the workers

for _name in kinds.KINDS:
    kinds.get(_name)
