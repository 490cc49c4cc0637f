"""A chart's data as Vega-Lite inline values: altair's default data transformer's output, made without pandas'
per-column copies for the column types the report's charts hold.

altair's default (`altair.vegalite.data.default_data_transformer`) copies the frame, converts each column to Python
objects with pandas operations and then makes one dict per row: about 55% of a chart's `to_dict` (84 of 155 ms of
CPU for the 31 charts of a six-notebook build). `values` gives the same records from plain lists for float, integer,
boolean and text columns, and hands any other frame (another dtype, non-text or repeated column names, more rows
than altair allows, ...) to altair's default, which raises what it raises. `present.chart_spec` enables it (under
NAME) while it converts a chart; tests/test_present.py checks the two give the same spec for every chart the sections
draw."""
from __future__ import annotations

import inspect
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from altair.vegalite.data import default_data_transformer

NAME = "analysis-values"
#: altair's default limit of a chart's rows (`default_data_transformer`'s max_rows): a larger frame is altair's.
MAX_ROWS: int = inspect.signature(default_data_transformer).parameters["max_rows"].default


def values(data: Any) -> Any:
    """`data` as altair's default data transformer returns it ({"values": one dict per row}, NaN and infinities as
    None, numbers and booleans as Python's), from plain lists where the frame's columns allow."""
    records = _records(data) if isinstance(data, pd.DataFrame) else None
    return {"values": records} if records is not None else default_data_transformer(data)


def _records(frame: pd.DataFrame) -> list[dict] | None:
    """One dict per row of `frame`, or None where altair's own conversion is needed."""
    names = list(frame.columns)
    if (not names or len(frame) > MAX_ROWS or not frame.columns.is_unique or isinstance(frame.index, pd.MultiIndex)
            or not all(isinstance(n, str) for n in names)):
        return None
    columns = []
    for name in names:
        column = frame[name]
        if column.dtype == np.float64:
            array = column.to_numpy()
            columns.append([None if bad else v for v, bad in zip(array.tolist(), ~np.isfinite(array))])
        elif column.dtype in (np.int64, np.bool_):
            columns.append(column.to_numpy().tolist())
        elif str(column.dtype) in ("str", "string"):
            columns.append([None if missing else v for v, missing in zip(column.astype(object).tolist(),
                                                                           column.isna().to_numpy())])
        else:
            return None
    return [dict(zip(names, row)) for row in zip(*columns)]


def to_dict(chart: alt.TopLevelMixin) -> dict:
    """`chart.to_dict(validate=False)` with `values` as the data transformer."""
    with alt.data_transformers.enable(NAME):
        return chart.to_dict(validate=False)


alt.data_transformers.register(NAME, values)
