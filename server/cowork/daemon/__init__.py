"""A workspace's background server for the CLI.

`cowork run` starts a Python process, and a process that has to import the engine,
open the index and learn the repository again pays for all of it on every run. So the
CLI hands its run to a background server of the workspace, started by the first run
and kept for the next ones while they come: it keeps the imports, the parse index and
the git facts in memory, and watches the files for changes like the language server.
It stops after `COWORK_DAEMON_IDLE_MINUTES` (20) without a run, when its workspace is
gone, or on `cowork stop`; `COWORK_DAEMON=0` runs every task in the CLI's own process.
"""
