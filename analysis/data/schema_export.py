"""The parameter schema written out for tools: plain rows for `python -m analysis params --format json`, and the
typed fields of `Params` generated into analysis/data/parameter_types.py (`make parameter-types`)."""
from __future__ import annotations

import keyword
import os
import tempfile
from pathlib import Path

from analysis.data.params import PYTHON_TYPES, RESERVED, TYPES_COMMAND, Parameter
from analysis.errors import DataError

TYPES_FILE = Path(__file__).with_name("parameter_types.py")


def describe(schema: dict[str, Parameter], declared_by: dict[str, list[str]]) -> list[dict]:
    """The schema as plain data for tools (`params --format json`), in schema order; `declared_by` maps a parameter
    to the notebooks that declare it. Missing bounds and ranges are null, choices a (possibly empty) list."""
    return [{"name": p.name, "type": p.type, "unit": p.unit, "default": p.default, "min": p.minimum, "max": p.maximum,
             "choices": list(p.choices), "low": p.low, "high": p.high, "distribution": p.distribution,
             "label": p.title, "description": p.description, "rationale": p.rationale, "source": p.source_id,
             "confidence": p.confidence, "notebooks": declared_by.get(p.name, [])} for p in schema.values()]


def types_module(schema: dict[str, Parameter]) -> str:
    """The text of analysis/data/parameter_types.py: one typed field per parameter of `schema`, in schema order, with
    its unit; no value (defaults, bounds and sources stay in data/parameters.csv)."""
    for p in schema.values():
        if not p.name.isidentifier() or keyword.iskeyword(p.name) or p.name in RESERVED:
            raise DataError(f"parameters.csv: parameter '{p.name}' cannot be an attribute of Params (a Python keyword "
                            "or a name Params uses itself); rename it")
    fields = "".join(f"    {p.name}: {PYTHON_TYPES[p.type]}  # {p.unit}\n" for p in schema.values())
    return (f'''"""The parameters of data/parameters.csv with their Python types: the fields of \
`analysis.data.params.Params`.

Generated from the schema by `{TYPES_COMMAND}` (do not edit; tests/test_params.py
checks that it matches data/parameters.csv). Types only: every default, bound and source lives in
data/parameters.csv.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class ParameterFields:
    """One field per parameter, in the order of data/parameters.csv (comment: its unit)."""

{fields}''')


def write_types(schema: dict[str, Parameter], path: Path = TYPES_FILE) -> Path:
    """Write `types_module(schema)` to `path` atomically (a failed run leaves the old file)."""
    text = types_module(schema)
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path
