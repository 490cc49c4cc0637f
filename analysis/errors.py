"""Errors that are the user's to fix: reported as one clear line and exit status 2, never a traceback; and the one
line for an interrupted run."""
import re
import sys

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class UserError(Exception):
    """A mistake in user input (a parameter, a scenario file or a data file)."""

    exit_status = 2


class ParameterError(UserError):
    """A parameter value that the schema refuses."""


class DataError(UserError):
    """A data file that is missing, edited without a new manifest, or fails its schema."""


_reported: list[bool] = []


def is_interrupt(exc: BaseException) -> bool:
    """Whether `exc` is Ctrl-C or SIGTERM (a KeyboardInterrupt here), also as CPython 3.11 raises one that arrives
    while a class is being created (a module's dataclass, during an import): "RuntimeError: Error calling
    __set_name__ ..." from the KeyboardInterrupt."""
    return isinstance(exc, KeyboardInterrupt) or (isinstance(exc, RuntimeError)
                                                  and isinstance(exc.__cause__, KeyboardInterrupt))


def report_interrupt() -> None:
    """The one line for Ctrl-C or SIGTERM (exit status 130), printed once however many signals arrive."""
    if not _reported:
        _reported.append(True)
        print("error: interrupted; any previous report is left as it was", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    """A one-line warning on stderr: something the user should know that does not stop the command."""
    print(f"warning: {printable(message)}", file=sys.stderr, flush=True)


def printable(text: str) -> str:
    """`text` without control characters (each shown as its escape, e.g. a line break as \\n): one line on a
    terminal, whatever a file or folder name holds."""
    return CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def error(message: str) -> None:
    """The one `error:` line on stderr."""
    print(f"error: {printable(message)}", file=sys.stderr)
