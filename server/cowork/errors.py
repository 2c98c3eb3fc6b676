"""Errors that carry a message meant for the user, not a traceback, and the CLI's exit
codes for them (design.md: 0 done, 1 the task failed, 2 usage error)."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CoworkError(Exception):
    """A failure the user can act on; its message is shown as is."""


class InputError(CoworkError):
    """The request itself is wrong (bad arguments, a path outside the workspace...).

    Raised before a task is created: the LSP layer answers it as a JSON-RPC
    "invalid params" error and the CLI exits with status 2.
    """


class TaskFailure(CoworkError):
    """A task could not be completed; the message becomes the task's `error`."""
