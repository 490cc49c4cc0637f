"""Locked releases (`release`), the lock on committed forecasts, and the track record (`score`)."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from analysis.data import releases
from analysis.pipeline import cli, track
from analysis.models import forecasts, hub, hub_reader, scoring
from analysis.sections import track_text
from tests.conftest import ROOT

FORECASTS = ROOT / "forecasts"


def _draws(n: int = 2000, seed: int = 1) -> forecasts.Draws:
    """Synthetic draws over 2024-2027 with 2025 the last observed year; the ASIC share is undefined in 2024."""
    rng = np.random.default_rng(seed)
    years = (2024, 2025, 2026, 2027)
    values = {t.name: rng.normal(10.0, 2.0, (n, len(years))) * np.arange(1, 5) for t in forecasts.TARGETS}
    share = rng.uniform(0.0, 0.6, (n, len(years)))
    share[:, 0] = np.nan
    values["asic_share_of_spend"] = share
    return forecasts.Draws(years, 2025, values)


def _release(draws=None, version="v1") -> pd.DataFrame:
    return forecasts.release_table(draws or _draws(), version, "2026-01-01", "base", "abc", False)


def test_a_release_holds_quantiles_mean_and_event_probabilities_from_the_last_observed_year():
    d = _draws()
    table = _release(d)
    assert list(table.columns) == list(releases.FORECAST_COLUMNS)
    assert sorted(table["year"].unique()) == [2025, 2026, 2027]            # horizon 0 = the last observed year on
    assert (table["horizon"] == table["year"] - 2025).all()
    spend = table[(table["target"] == "accelerator_spend") & (table["year"] == 2026)]
    q = spend[spend["output_type"] == "quantile"].set_index("output_type_id")["value"]
    assert list(q.index) == [f"{x:.2f}" for x in forecasts.QUANTILE_LEVELS] and q.is_monotonic_increasing
    assert q["0.50"] == pytest.approx(np.median(d.values["accelerator_spend"][:, 2]))
    assert spend[spend["output_type"] == "mean"]["value"].item() == pytest.approx(d.values["accelerator_spend"][:, 2].mean())
    event = table[(table["target"] == "asic_share_of_spend_above_25pct") & (table["year"] == 2027)]
    assert event["output_type"].item() == "pmf" and event["output_type_id"].item() == "true"
    assert event["value"].item() == pytest.approx(np.mean(d.values["asic_share_of_spend"][:, 3] > 0.25))
    capex = table[table["target"] == "amazon_gross_capex"]
    assert set(capex["resolution_date"]) == {"2026-02-15", "2027-02-15", "2028-02-15"}
    assert capex["resolution_source"].str.contains("financials.csv").all()


def test_a_target_undefined_in_every_draw_has_no_rows():
    d = _draws()
    d = forecasts.Draws(d.years, 2024, d.values)          # 2024 is now the last observed year, its share undefined
    table = _release(d)
    assert not ((table["year"] == 2024) & table["target"].str.startswith("asic_share")).any()
    assert ((table["year"] == 2024) & (table["target"] == "accelerator_spend")).any()


def test_a_release_is_written_once_and_never_overwritten(tmp_path):
    written = hub.add_release(_release(), tmp_path)
    body = (tmp_path / written[0]).read_bytes()
    assert written[0] == "model-output/aws-v1/2026-01-01-aws-v1.csv" and releases.check_locked(tmp_path) == []
    with pytest.raises(releases.ReleaseError, match="never overwritten"):
        hub.add_release(_release(), tmp_path)
    assert (tmp_path / written[0]).read_bytes() == body and len(releases.manifest_entries(tmp_path)) == 5


def test_the_lock_bites_when_a_released_file_is_edited_added_or_removed(tmp_path):
    hub.add_release(_release(), tmp_path)
    hub.add_release(_release(version="v2"), tmp_path)
    edited = tmp_path / "model-metadata/aws-v1.yml"
    edited.write_text(edited.read_text().replace("base", "edited", 1))
    assert releases.check_locked(tmp_path) == ["model-metadata/aws-v1.yml: changed after its release (checksum "
                                                "differs from MANIFEST.sha256)"]
    (tmp_path / hub.output_path("v2", "2026-01-01")).unlink()
    (tmp_path / "model-output/aws-v1/stray.csv").write_text("x\n")
    assert len(releases.check_locked(tmp_path)) == 3
    with pytest.raises(releases.ReleaseError):
        hub_reader.read(tmp_path)


def test_committed_forecasts_match_their_manifest():
    """Vacuous while forecasts/ holds no release (or does not exist yet); bites as soon as a released file changes."""
    assert releases.check_locked(FORECASTS) == []
    listed = releases.manifest_entries(FORECASTS)
    assert all((FORECASTS / name).is_file() for name in listed)


def test_every_committed_manifest_line_is_still_in_the_manifest():
    """Editing a release and its manifest line together is caught by the manifest's git history."""
    history = track.committed_manifest_lines(ROOT)
    if history is None:
        pytest.skip("not a git checkout: no history to compare with")
    current = set((FORECASTS / releases.MANIFEST).read_text().splitlines()) if (FORECASTS / releases.MANIFEST).is_file() else set()
    assert history <= current


def test_the_history_check_bites_on_a_rewritten_release(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)
    git("init", "-q")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "t")
    folder = tmp_path / "forecasts"
    hub.add_release(_release(), folder)
    git("add", ".")
    git("commit", "-qm", "release v1")
    first = set((folder / releases.MANIFEST).read_text().splitlines())
    assert track.committed_manifest_lines(tmp_path) == first
    for path in [*folder.rglob("*.csv"), *folder.rglob("*.yml"), *folder.rglob("*.json"), folder / releases.MANIFEST]:
        path.unlink()
    hub.add_release(_release(_draws(seed=2)), folder)                    # rewritten, with a matching manifest
    git("commit", "-qam", "rewrite v1")
    assert releases.check_locked(folder) == []                          # the folder alone looks fine ...
    current = set((folder / releases.MANIFEST).read_text().splitlines())
    assert not track.committed_manifest_lines(tmp_path) <= current  # ... the history does not
    assert track.committed_manifest_lines(tmp_path / "nowhere") is None


# --- the track record ------------------------------------------------------------------------------------------

def _record(found, outside=None):
    return forecasts.track_record(_release(), found, outside or {})


def test_a_resolved_quantile_target_is_scored_beside_persistence_and_the_outside_view():
    table = _release()
    outcome = 25.0
    record = forecasts.track_record(table, {("accelerator_spend", 2026): outcome},
                                    {("accelerator_spend", 2026): forecasts.OutsideView(20.0, "x")})
    row = record[(record["target"] == "accelerator_spend") & (record["year"] == 2026)].iloc[0]
    q = table[(table["target"] == "accelerator_spend") & (table["year"] == 2026) & (table["output_type"] == "quantile")]
    levels, values = q["output_type_id"].astype(float).to_numpy(), q["value"].to_numpy()
    assert row["resolved"] and row["outcome"] == outcome and row["error"] == pytest.approx(values[3] - outcome)
    assert row["covered_90"] == (values[0] <= outcome <= values[-1])
    assert row["crps"] == pytest.approx(scoring.crps_quantiles(levels, values, outcome))
    start = table[(table["target"] == "accelerator_spend") & (table["horizon"] == 0) & (table["output_type_id"] == "0.50")]
    assert row["persistence"] == start["value"].item()
    assert row["persistence_crps"] == pytest.approx(abs(start["value"].item() - outcome))   # a point: |error|
    assert row["outside_view_crps"] == pytest.approx(5.0) and row["outside_view_wis"] == pytest.approx(5.0)


def test_a_binary_target_gets_a_brier_score_and_an_unresolved_one_says_when():
    record = _record({("asic_share_of_spend", 2026): 0.30})
    event = record[(record["target"] == "asic_share_of_spend_above_25pct") & (record["year"] == 2026)].iloc[0]
    assert event["outcome"] == 1.0 and event["brier"] == pytest.approx((1 - event["forecast"]) ** 2)
    assert event["persistence_brier"] == pytest.approx((1 - event["persistence"]) ** 2)
    later = record[(record["target"] == "asic_share_of_spend_above_25pct") & (record["year"] == 2027)].iloc[0]
    assert not later["resolved"] and later["resolves"] == "2028-04-30" and pd.isna(later["brier"])
    assert (record["horizon"] >= 1).all()


def test_an_empty_track_record_has_an_empty_summary():
    assert forecasts.summary(forecasts.track_record(_release().iloc[:0], {}, {})).empty


def test_the_summary_averages_scores_over_resolved_years():
    record = _record({("amazon_gross_capex", 2026): 30.0, ("amazon_gross_capex", 2027): 40.0})
    s = forecasts.summary(record).set_index("target").loc["amazon_gross_capex"]
    rows = record[(record["target"] == "amazon_gross_capex")]
    assert s["scored"] == 2 and s["model"] == pytest.approx(rows["crps"].mean())
    assert s["persistence"] == pytest.approx(rows["persistence_crps"].mean()) and np.isnan(s["outside_view"])
    keys = {i.key for i in track_text.results(record)}
    assert "track_v1_amazon_gross_capex_crps" in keys and "track_v1_amazon_gross_capex_2027" in keys


def test_outside_views_come_from_cross_checks(ds):
    views = forecasts.outside_views(ds)
    assert views[("asic_share_of_spend", 2026)].check_id == "trendforce-asic-share-2026"


# --- the commands ----------------------------------------------------------------------------------------------

@pytest.mark.command
def test_release_then_score_end_to_end(tmp_path, capsys):
    folder, out = tmp_path / "forecasts", tmp_path / "track"
    assert cli.main(["release", "essay-2024", "--scenario", "essay-2024", "--reconstructed",
                     "--forecast-date", "2024-02-29", "--forecasts-dir", str(folder)]) == 0
    table = hub_reader.read(folder)
    assert set(table["reconstructed"]) == {"true"} and set(table["model_id"]) == {"essay-2024"}
    assert table["horizon"].min() == 0 and table.loc[table["horizon"] == 0, "year"].eq(2023).all()
    assert cli.main(["score", "--out", str(out), "--forecasts-dir", str(folder)]) == 0
    record = pd.read_csv(out / "track_record.csv")
    resolved = record[record["resolved"]]
    assert set(resolved["year"]) == {2024, 2025} and set(record.loc[~record["resolved"], "year"]) == {2026, 2027, 2028, 2029, 2030}
    assert set(record.loc[record["scored"], "target"]) == {"amazon_gross_capex"}    # the others read 2026 data
    assert record.loc[record["scored"], "crps"].notna().all()
    assert (out / "results.json").is_file() and (out / "track_record_summary.csv").is_file() and (out / "index.html").is_file()
    capsys.readouterr()
    assert cli.main(["release", "essay-2024", "--scenario", "essay-2024", "--forecasts-dir", str(folder)]) == 2
    assert "never overwritten" in capsys.readouterr().err


@pytest.mark.parametrize("args, culprit", [
    (["release", "../up"], "release '../up'"),
    (["release", "MANIFEST.sha256"], "release 'MANIFEST.sha256'"),
    (["release", "v1", "--forecast-date", "2024-13-01"], "--forecast-date '2024-13-01'"),
    (["release", "v1", "--set", "trainium_ceiling=7"], "trainium_ceiling"),
    (["release", "v1", "--scenario", "nope"], "unknown scenario 'nope'"),
])
def test_bad_release_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, args, culprit):
    folder = tmp_path / "forecasts"
    assert cli.main([*args, "--forecasts-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and culprit in err, err
    assert not folder.exists()


def test_score_refuses_a_tampered_release_a_foreign_out_and_no_release(tmp_path, capsys):
    folder = tmp_path / "forecasts"
    assert cli.main(["score", "--out", str(tmp_path / "t"), "--forecasts-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no release to score yet" in err and not (tmp_path / "t").exists()
    hub.add_release(_release(), folder)
    shutil.copy(folder / hub.output_path("v1", "2026-01-01"), folder / "v2.csv")   # not released through the tool
    assert cli.main(["score", "--out", str(tmp_path / "t"), "--forecasts-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "v2.csv: not in MANIFEST.sha256" in err and not (tmp_path / "t").exists()
    (folder / "v2.csv").unlink()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    assert cli.main(["score", "--out", str(foreign), "--forecasts-dir", str(folder)]) == 2
    assert capsys.readouterr().err.count("\n") == 1 and sorted(p.name for p in foreign.iterdir()) == ["keep.txt"]


def test_trend_and_climatology_baselines_are_scored_like_the_model():
    found = {("accelerator_spend", 2024): 10.0, ("accelerator_spend", 2025): 20.0, ("accelerator_spend", 2026): 35.0,
             ("asic_share_of_spend", 2024): 0.1, ("asic_share_of_spend", 2025): 0.3, ("asic_share_of_spend", 2026): 0.4}
    table = _release()
    record = forecasts.track_record(table, found, {})
    spend = record[(record["target"] == "accelerator_spend") & (record["year"] == 2026)].iloc[0]
    start = table[(table["target"] == "accelerator_spend") & (table["horizon"] == 0) & (table["output_type_id"] == "0.50")]
    assert spend["trend"] == pytest.approx(start["value"].item() * 2.0)          # 20 / 10, one year ahead
    assert spend["trend_crps"] == pytest.approx(abs(spend["trend"] - 35.0))
    event = record[(record["target"] == "asic_share_of_spend_above_25pct") & (record["year"] == 2026)].iloc[0]
    assert event["climatology"] == pytest.approx((1 + 1) / (2 + 2))              # one of two observed years above 25%
    assert event["climatology_brier"] == pytest.approx((1 - 0.5) ** 2)
    s = forecasts.summary(record).set_index("target").loc["accelerator_spend"]
    assert s["skill_trend"] == pytest.approx(1 - s["model"] / s["trend"])
    assert forecasts.trend({("x", 2024): 0.0, ("x", 2025): 1.0}, "x", 2025) is None   # no growth from zero


def test_an_excluded_target_shows_its_outcome_but_no_score():
    record = forecasts.track_record(_release(), {("amazon_gross_capex", 2026): 30.0},
                                    {}, {("v1", "amazon_gross_capex"): "reads inputs published after the release"})
    row = record[(record["target"] == "amazon_gross_capex") & (record["year"] == 2026)].iloc[0]
    assert row["resolved"] and not row["scored"] and row["outcome"] == 30.0 and pd.isna(row["crps"])
    assert forecasts.summary(record).empty and "Not scored: v1 amazon_gross_capex" in track_text.summary_text(record)


def test_the_summary_says_where_the_model_loses():
    record = _record({("amazon_gross_capex", 2026): 1e6})                 # far above every forecast
    record.loc[record["target"] == "amazon_gross_capex", "persistence_crps"] = 0.0
    assert any("loses to persistence" in line for line in track_text.losses(record))
