"""The models behind the forecast hub's releases: `release` computes a parameter set's draws (section 3's model for
Amazon, the owner's outside view for another owner: `owner_draws`) and locks them in the hub (analysis.models.hub);
`score` reads the hub (analysis.models.hub_reader) and scores every release against data/ now (another owner's
against its own observed non-Nvidia share: `owner_outcomes`).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data import Dataset, params, tree_digest
from analysis.data.memo import per_dataset
from analysis.models import fleet, forecasts, hindsight, owner_outlook, owners
from analysis.models.forecasts import ReleaseError
from analysis.models.hub import add_release, check_new
from analysis.models.hub_reader import read


def owner_draws(ds: Dataset, p: params.Params) -> forecasts.Draws:
    """Another owner's forecast as release draws: its non-Nvidia share of spend under the share target, from its
    last observed year (analysis.models.owner_outlook); every other target not forecast (no draws)."""
    d = owners.draws(ds, p)
    f = owner_outlook.forecast(ds, d, owners.owner_label(ds, str(p.owner)), max(d.years))
    share = f.spend_share[1:]
    values = {t.name: np.full_like(share, np.nan) for t in forecasts.TARGETS} | {"asic_share_of_spend": share}
    return forecasts.Draws(tuple(f.years), int(f.through), values)


def release(ds: Dataset, p: params.Params, schema: dict[str, params.Parameter], version: str, folder: Path,
            scenario: str, forecast_date: str | None = None, reconstructed: bool = False) -> str:
    """Compute and lock release `version` of parameter set `p` in the hub (checked before any computing): the owner
    of `p` (`owner`) decides the model (Amazon's: section 3's; another's: `owner_draws`); returns its model-output
    path."""
    owner = owners.owner_label(ds, str(p.owner))
    check_new(version, folder, owner)
    forecast_date = forecasts.check_date(forecast_date) if forecast_date else dt.datetime.now(dt.UTC).date().isoformat()
    draws = forecasts.forecast_draws(ds, p, schema) if owner == fleet.OWNER else owner_draws(ds, p)
    table = forecasts.release_table(draws, version, forecast_date, scenario, ds.version, reconstructed)
    return add_release(table, folder, owner=owner)[0]


OWNER_LABEL = re.compile(r".* \((\w+)\)")


def score(ds: Dataset, schema: dict[str, params.Parameter], folder: Path) -> pd.DataFrame:
    """The track record of every release in the hub `folder` against data/ now (no release: refused): Amazon's against
    section 3's outcomes, another owner's against its own observed non-Nvidia share (`owner_outcomes`). It reads no
    parameter, so it is remembered per dataset and the folder's bytes: a what-if scores the hub once."""
    folder = Path(folder).resolve()
    return _score(ds, schema, folder, tree_digest(folder, "*") if folder.is_dir() else "")


@per_dataset
def _score(ds: Dataset, schema: dict[str, params.Parameter], folder: Path, contents: str) -> pd.DataFrame:
    """`score` of `folder` while its files' digest is `contents` (the memo's key; not read here)."""
    releases = read(folder)
    if releases.empty:
        raise ReleaseError(f"{folder}: no release to score yet (write one with `python -m analysis release VERSION`)")
    owner = releases["release"].map(lambda r: m.group(1) if (m := OWNER_LABEL.fullmatch(r)) else "Amazon")
    records = []
    for name, mine in releases.groupby(owner, sort=False):
        found = forecasts.outcomes(ds, schema) if name == "Amazon" else owner_outcomes(ds, str(name))
        records.append(forecasts.track_record(mine, found, forecasts.outside_views(ds) if name == "Amazon" else {},
                                              hindsight.excluded(ds, mine)))
    return pd.concat(records, ignore_index=True)


def owner_outcomes(ds: Dataset, owner: str) -> dict[tuple[str, int], float]:
    """(target, year) -> what happened for another owner's release: its non-Nvidia share of spend in each observed
    year (the data's central estimate at the default parameters, analysis.models.owners)."""
    shares = _default_shares(ds)
    mine = shares[(shares["owner"] == owner)].dropna(subset=["spend_share"])
    return {("asic_share_of_spend", int(year)): float(share) for year, share in zip(mine["year"], mine["spend_share"])}


@per_dataset
def _default_shares(ds: Dataset) -> pd.DataFrame:
    """Every owner's shares at the default parameters (analysis.models.owners.shares)."""
    p = params.resolve({}, ds)
    return owners.shares(ds, p, owners.draws(ds, p))
