"""The essay's claims ledger (data/essay_claims.csv): verdict counts for the summary."""
from __future__ import annotations

import pandas as pd

from analysis.data.vocab import VERDICTS


def verdict_counts(claims: pd.DataFrame) -> pd.Series:
    """Number of claims per verdict, in the fixed verdict order, zeros included."""
    unknown = sorted(set(claims["verdict"]) - set(VERDICTS))
    if unknown:
        raise ValueError(f"unknown verdict(s) {unknown}; expected one of {VERDICTS}")
    counts = claims["verdict"].value_counts().reindex(VERDICTS, fill_value=0)
    return counts.rename_axis("verdict").rename("claims").astype(int)
