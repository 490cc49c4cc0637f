"""Errors that are the user's to fix: reported as one clear line and exit status 2, never a traceback; and the one
line for an interrupted run."""
import sys


class UserError(Exception):
    """A mistake in user input (a parameter, a scenario file or a data file)."""

    exit_status = 2


class ParameterError(UserError):
    """A parameter value that the schema refuses."""


class DataError(UserError):
    """A data file that is missing, edited without a new manifest, or fails its schema."""


_reported: list[bool] = []


def report_interrupt() -> None:
    """The one line for Ctrl-C or SIGTERM (exit status 130), printed once however many signals arrive."""
    if not _reported:
        _reported.append(True)
        print("error: interrupted; any previous report is left as it was", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    """A one-line warning on stderr: something the user should know that does not stop the command."""
    print(f"warning: {message}", file=sys.stderr, flush=True)
