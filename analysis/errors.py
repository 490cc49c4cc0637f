"""Errors that are the user's to fix: reported as one clear line and exit status 2, never a traceback."""


class UserError(Exception):
    """A mistake in user input (a parameter, a scenario file or a data file)."""

    exit_status = 2


class ParameterError(UserError):
    """A parameter value that the schema refuses."""


class DataError(UserError):
    """A data file that is missing, edited without a new manifest, or fails its schema."""
