"""Cross-check panel: the report's numbers beside published third-party figures (data/cross_checks.csv)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def panel(published: pd.DataFrame, ours: Mapping[str, float]) -> pd.DataFrame:
    """One row per published figure: our value for the metric it `compares_with`, theirs, the ratio
    ours/theirs, the fold difference (ratio or its inverse, whichever is at least 1) and why they differ.

    Every `compares_with` key needs a value of ours and every key of ours must match a row: a typo
    fails loudly instead of dropping a comparison. Pass a subset of rows to compare fewer figures.
    """
    keys = set(published["compares_with"])
    unknown, missing = sorted(set(ours) - keys), sorted(keys - set(ours))
    if unknown:
        raise KeyError(f"no published figure compares with {unknown}")
    if missing:
        raise KeyError(f"no value of ours for {missing}")
    values = published["compares_with"].map(ours).astype(float)
    bad = published.loc[~(np.isfinite(values) & (values > 0)), "compares_with"].tolist()
    if bad:
        raise ValueError(f"our values must be finite and positive to form a ratio: {bad}")
    ratio = values / published["published_value"]
    return pd.DataFrame({
        "check_id": published["check_id"], "description": published["description"],
        "compares_with": published["compares_with"], "unit": published["unit"],
        "ours": values, "theirs": published["published_value"], "ratio": ratio,
        "fold": np.maximum(ratio, 1 / ratio), "why_they_differ": published["why_they_differ"],
        "source_id": published["source_id"],
    }).reset_index(drop=True)


def largest_disagreement(table: pd.DataFrame) -> pd.Series:
    """The panel row whose two figures are furthest apart (largest fold difference)."""
    return table.loc[table["fold"].idxmax()]
