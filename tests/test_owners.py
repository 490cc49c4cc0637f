"""Every hyperscaler in Epoch AI's data: shares with bands, Nvidia's spend by owner, the independent check, and
Amazon's numbers untouched."""
import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import special

from analysis.data import params
from analysis.models import concentration, fleet, observations, observed, outlook, owner_outlook, owners
from analysis.sections import erosion_text
from tests.conftest import ROOT

FIVE = ["Amazon", "Google", "Microsoft", "Meta", "Oracle"]


@pytest.fixture(scope="module")
def p(ds):
    return params.resolve({"mc_draws": 2000}, ds)


@pytest.fixture(scope="module")
def drawn(ds, p):
    return owners.draws(ds, p)


@pytest.fixture(scope="module")
def table(ds, p, drawn):
    return owners.shares(ds, p, drawn)


def test_every_owner_in_epochs_data_is_covered(ds, drawn):
    assert owners.owners(ds) == FIVE == drawn.owners()
    assert set(owners.CHALLENGERS) == set(owners.NOT_COUNTED) == set(FIVE)


@pytest.mark.parametrize("owner", FIVE)
def test_each_owners_nvidia_spend_lies_inside_the_band_epochs_figures_allow(ds, p, table, owner):
    """Central estimate and the draws' 5th-95th percentiles inside p5 units x low prices .. p95 units x high prices."""
    widest = owners.epoch_band(ds, p, owner).set_index("year")
    mine = table[table["owner"] == owner].set_index("year")
    assert list(mine.index) == list(widest.index) == [2022, 2023, 2024, 2025]
    for column in ("nvidia_spend", "nvidia_spend_p5", "nvidia_spend_p95"):
        assert (widest["p5"] <= mine[column]).all() and (mine[column] <= widest["p95"]).all(), column
    assert (mine["nvidia_spend_p5"] < mine["nvidia_spend"]).all() and (mine["nvidia_spend"] < mine["nvidia_spend_p95"]).all()


def test_central_nvidia_spend_is_epochs_medians_times_epochs_prices(ds, p, table):
    units = fleet.chip_additions(ds, "units", "Meta")
    nvidia = units[units["vendor"] == "Nvidia"]
    expected = fleet.yearly(fleet.spend_by_chip(nvidia, fleet.unit_prices(ds, p.trainium_unit_cost_usd))).set_index("year")
    mine = table[table["owner"] == "Meta"].set_index("year")["nvidia_spend"]
    np.testing.assert_allclose(mine, expected["median"] / 1e9)


def test_amazon_is_section_3s_own_numbers(ds, p, table):
    amazon = table[table["owner"] == "Amazon"].set_index("year")
    bands = observations.observed_share_bands(ds, p).set_index("year")
    np.testing.assert_allclose(amazon["spend_share"], bands["asic_spend_share"], equal_nan=True)
    np.testing.assert_allclose(amazon["compute_share_p95"], bands["asic_compute_share_p95"], equal_nan=True)
    purchases = observations.observed_purchases(ds, p)
    nvidia = purchases[purchases["vendor"] == "nvidia"].set_index("year")["spend"]
    np.testing.assert_allclose(amazon["nvidia_spend"], nvidia)


def test_years_before_a_challengers_data_are_missing_not_zero(table):
    first = table.dropna(subset=["compute_share"]).groupby("owner")["year"].min()
    assert first.to_dict() == {"Amazon": 2024, "Google": 2023, "Microsoft": 2024, "Meta": 2024, "Oracle": 2024}
    early = table[(table["owner"] == "Microsoft") & (table["year"] < 2024)]
    assert early["compute_share"].isna().all() and early["spend_share"].isna().all()


def test_google_compute_shares_are_tpu_h100e_over_all_h100e(ds, table):
    h = fleet.yearly(fleet.additions(ds, "h100e", owner="Google")).pivot(index="year", columns="vendor", values="median")
    google = table[table["owner"] == "Google"].set_index("year")["compute_share"]
    for year in (2023, 2024, 2025):
        assert google[year] == pytest.approx(h.loc[year, "Google"] / h.loc[year].sum())


def test_the_tpu_cost_ratio_moves_googles_spend_share_and_not_its_compute_share(ds, p, table):
    cheaper = p.replace(tpu_cost_ratio=0.25)
    other = owners.shares(ds, cheaper, owners.draws(ds, cheaper)).query("owner == 'Google' and year == 2025").iloc[0]
    mine = table.query("owner == 'Google' and year == 2025").iloc[0]
    assert other["compute_share"] == mine["compute_share"]
    assert other["spend_share"] < mine["spend_share"]
    # spend share = r*c / (r*c + (1 - c)) with c the compute share and r the ratio (central estimate)
    c = mine["compute_share"]
    assert mine["spend_share"] == pytest.approx(p.tpu_cost_ratio * c / (p.tpu_cost_ratio * c + 1 - c))


def test_fitted_correlations_are_per_owner_and_amazons_are_unchanged(ds):
    assert observed.unit_correlation(ds) == observed.unit_correlation(ds, "Amazon")
    assert set(observed.unit_correlation(ds, "Meta")) == {"Nvidia", "AMD"}


def test_five_owners_share_of_nvidia_datacenter_revenue(ds, drawn):
    n = owners.nvidia_share(ds, drawn).set_index("year")
    dc = observations.nvidia_datacenter_by_year(ds)
    total = sum(drawn.spend[(o, "Nvidia")][0] for o in FIVE)
    np.testing.assert_allclose(n["five_owners_nvidia_spend"], total[: len(n)])
    np.testing.assert_allclose(n["share_of_datacenter"], n["five_owners_nvidia_spend"] / dc.loc[n.index])
    assert ((n["share_of_datacenter_p5"] < n["share_of_datacenter"]) & (n["share_of_datacenter"] < n["share_of_datacenter_p95"])).all()
    assert (n["share_of_datacenter_p95"] < 1).all()


def test_customer_check_maps_fiscal_to_calendar_years_and_lists_disclosures(ds, drawn):
    c = concentration.customer_check(ds, drawn).set_index("fiscal_year")
    assert c.loc["FY2025", "year"] == 2024 and c.loc["FY2024", "year"] == 2023
    revenue = concentration.nvidia_revenue_by_fiscal_year(ds).set_index("fiscal_year")["revenue"]
    assert c.loc["FY2025", "microsoft_share"] == pytest.approx(drawn.spend[("Microsoft", "Nvidia")][0, 2] / revenue["FY2025"])
    assert c.loc["FY2025", "disclosed_customers_at_10pct"] == 3 and c.loc["FY2023", "disclosed_customers_at_10pct"] == 0
    assert c.loc["FY2025", "disclosed_largest_share"] == pytest.approx(0.12)


def test_epoch_totals_gap_is_the_sum_of_quarters_against_the_cumulative_row(ds):
    totals = concentration.epoch_totals(ds).set_index(["owner", "vendor"])
    assert len(totals) == len(ds["epoch_cumulative"])
    units = fleet.chip_additions(ds, "units", "Oracle")
    amd = units.loc[(units["vendor"] == "AMD") & (units["quarter"] <= "2025Q4"), "median"].sum()
    assert totals.loc[("Oracle", "AMD"), "gap"] == pytest.approx(amd / totals.loc[("Oracle", "AMD"), "epoch_total"] - 1)


def test_amazon_headline_numbers_are_unchanged(ds, schema):
    """Section 3's forecast headlines and observed shares equal main's before this section existed
    (tests/fixtures/amazon_headlines.json, computed by main's code at the default parameters, a record kept as it was:
    its window keys named the years, today's name the role)."""
    baseline = json.loads((ROOT / "tests" / "fixtures" / "amazon_headlines.json").read_text(encoding="utf-8"))
    p = params.resolve({}, ds)
    now = {h.key: h.as_dict() for h in erosion_text.headlines(outlook.run(ds, p, schema, sensitivity=False))}
    assert len(baseline["erosion_headlines"]) == len(now) > 20
    def renamed(key: str) -> str:
        return re.sub(r"_2024_2026$", "_near_term", re.sub(r"_2027_2030$", "_long_term",
                                                          key.replace("nvidia_spend_share_2030", "nvidia_spend_share_end")))
    for old in baseline["erosion_headlines"]:
        for field in ("value", "p5", "p95"):
            new = now[renamed(old["key"])].get(field)
            assert (new is None) == (old[field] is None), (old["key"], field)
            if new is not None:
                assert new == pytest.approx(old[field], rel=1e-12), (old["key"], field)
    bands = observations.observed_share_bands(ds, p).dropna().reset_index(drop=True)
    for column in bands:
        np.testing.assert_allclose(bands[column], [r[column] for r in baseline["observed_share_bands"]], rtol=1e-12)


@pytest.fixture(scope="module")
def outlook_table(ds, p, drawn):
    return owner_outlook.forecasts(ds, drawn)


def test_each_owners_step_is_measured_on_its_own_years(ds, p, drawn, outlook_table):
    """Google's step: the root mean square of its own yearly moves of the non-Nvidia compute share in log-odds."""
    _, spreads = outlook_table
    h = fleet.yearly(fleet.additions(ds, "h100e", owner="Google")).pivot(index="year", columns="vendor", values="median")
    share = (h["Google"] / h.sum(axis=1)).loc[[2023, 2024, 2025]]
    moves = np.diff(special.logit(share.to_numpy()))
    row = spreads.set_index("owner").loc["Google"]
    assert row["share_step_sd"] == pytest.approx(np.sqrt(np.mean(moves ** 2)), rel=1e-9)
    assert row["share_moves"] == 2 and row["measured_on"] == "2023-2025"
    assert drawn.years[-1] == 2025
    assert (spreads.set_index("owner").loc[["Amazon", "Microsoft", "Meta", "Oracle"], "share_moves"] == 1).all()


def test_the_outlook_holds_the_last_observed_share_centrally_and_probabilities_match_the_draws(ds, p, drawn, table, outlook_table):
    yearly, _ = outlook_table
    meta = yearly[yearly["owner"] == "Meta"].set_index("year")
    assert list(meta.index) == [2024, 2025, 2026, 2027, 2028, 2029, 2030]
    np.testing.assert_allclose(meta.loc[2026:, "spend_share"], meta.loc[2025, "spend_share"], rtol=1e-12)
    observed_share = table.query("owner == 'Meta' and year == 2025")["spend_share"].iloc[0]
    assert meta.loc[2025, "spend_share"] == pytest.approx(observed_share)
    f = owner_outlook.forecast(ds, drawn, "Meta", 2025)
    j = f.years.index(2030)
    assert meta.loc[2030, "p_spend_share_above_25pct"] == pytest.approx((f.spend_share[1:, j] > 0.25).mean())
    assert (meta["p_spend_share_above_50pct"] <= meta["p_spend_share_above_25pct"]).all()
    assert 0 < meta.loc[2030, "p_spend_share_above_25pct"] < 1


def test_the_hindcast_uses_only_years_up_to_its_origin_and_leaves_out_origins_without_any_move(ds, p, drawn):
    cases, skipped = owner_outlook.hindcast_cases(ds, drawn)
    assert set(cases["owner"]) == set(FIVE) and set(cases["origin"]) == {2024} and set(cases["year"]) == {2025}
    assert skipped == [(owner, 2023) for owner in FIVE]          # no owner had a yearly move by the end of 2023
    f = owner_outlook.forecast(ds, drawn, "Google", 2024)
    assert f.step.last_year == 2024 and f.step.moves == 1 and f.step_from == owner_outlook.OWN_MOVES
    assert set(cases.loc[cases["owner"] != "Google", "step_from"]) == {owner_outlook.OTHER_OWNERS_MOVES}
    assert cases[cases["owner"] == "Google"].set_index("metric").loc["compute_share", "forecast"] == pytest.approx(
        table_value(ds, p, drawn, "Google", 2024, "compute_share"))


def test_an_owner_without_a_move_of_its_own_takes_the_other_owners_moves_up_to_the_origin(ds, p, drawn):
    """Microsoft's challenger chips first appear in 2024: from end-2024 its step is the root mean square of the other
    owners' yearly moves of the same share up to 2024 (Google's 2023->2024 alone), never a later year's; its live
    forecast (from its last observed year) uses its own move."""
    def share(owner):
        h = fleet.yearly(fleet.additions(ds, "h100e", owner=owner)).pivot(index="year", columns="vendor", values="median")
        return h.drop(columns="Nvidia").sum(axis=1, min_count=1) / h.sum(axis=1)
    google = share("Google")
    move = special.logit(google.loc[2024]) - special.logit(google.loc[2023])
    f = owner_outlook.forecast(ds, drawn, "Microsoft", 2024)
    assert f.step_from == owner_outlook.OTHER_OWNERS_MOVES and f.step.moves == 1 and f.step.last_year == 2024
    assert f.step.sd == pytest.approx(abs(move), rel=1e-9) and np.isnan(f.step.persistence)
    live = owner_outlook.forecast(ds, drawn, "Microsoft", 2025)
    assert live.step_from == owner_outlook.OWN_MOVES and live.step.first_year == 2024
    with pytest.raises(ValueError):
        owner_outlook.forecast(ds, drawn, "Microsoft", 2023)      # nothing of its own observed in 2023


def table_value(ds, p, drawn, owner, year, column):
    shares = owners.shares(ds, p, drawn)
    return shares[(shares["owner"] == owner) & (shares["year"] == year)][column].iloc[0]


@pytest.mark.parametrize(("name", "value", "moved"), [("trainium_unit_cost_usd", 5000.0, ["Amazon"]),
                                                     ("tpu_cost_ratio", 0.6, ["Google"])])
def test_a_what_if_of_one_owners_price_draws_and_forecasts_that_owner_again_and_no_other(ds, p, drawn, name, value, moved):
    """An owner's draws, forecasts and hindcast are remembered by its own inputs (`OwnerInputs`): a what-if of a price
    that one owner's chips read changes that owner's inputs alone; what the memo then returns for the what-if is what
    a computation from nothing gives."""
    from analysis.data import Dataset
    what_if = params.resolve({"mc_draws": 2000, name: value}, ds)
    after = owners.draws(ds, what_if)
    assert [o for o in FIVE if after.inputs[o] != drawn.inputs[o]] == moved
    for owner in set(FIVE) - set(moved):
        for vendor in drawn.vendors(owner):
            np.testing.assert_array_equal(after.spend[(owner, vendor)], drawn.spend[(owner, vendor)])
    assert any(not np.array_equal(after.spend[(moved[0], v)], drawn.spend[(moved[0], v)]) for v in after.vendors(moved[0]))
    remembered = owner_outlook.forecasts(ds, after), owner_outlook.hindcast_cases(ds, after)
    new = Dataset(tables=ds.tables, version=ds.version, directory=ds.directory)     # a memo of its own, empty
    fresh_draws = owners.draws(new, what_if)
    fresh = owner_outlook.forecasts(new, fresh_draws), owner_outlook.hindcast_cases(new, fresh_draws)
    for got, expected in zip([*remembered[0], remembered[1][0]], [*fresh[0], fresh[1][0]]):
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert remembered[1][1] == fresh[1][1]


def test_the_section_states_what_each_owner_is_and_what_is_missing(ds):
    from analysis.sections import SECTIONS
    from analysis.views.exhibits import Table, Text
    section = SECTIONS["owners"]
    result = section.compute(ds, section.values({"mc_draws": 1000}, ds))
    prose = " ".join(e.markdown for e in result["coverage"] if isinstance(e, Text))
    assert "estimated from Epoch AI's chip counts" in prose and "chips only" in prose and "never zero" in prose
    assert "Oracle FY2024–FY2025" in prose
    table = next(e.frame for e in result["coverage"] if isinstance(e, Table)).set_index("owner")
    assert "Maia" in table.loc["Microsoft", "missing"] and "MTIA" in table.loc["Meta", "missing"]
    schema = params.schema(ds)                         # the parameters by their labels, as the page names them
    assert schema["tpu_cost_ratio"].title in table.loc["Google", "valued"]
    assert schema["amd_cost_ratio"].title in table.loc["Oracle", "valued"]
    keys = {h.key for h in result.headlines}
    assert {"microsoft_spend_share_2025", "google_p_spend_share_above_50pct_2030",
            "five_owners_share_of_nvidia_datacenter_2025"} <= keys
    assert "microsoft_spend_share_2023" not in keys            # AMD not covered before 2024: no number, not zero


# The parameter `owner`: the report for any owner in Epoch AI's data ------------------------------------------------

OTHERS = ["google", "microsoft", "meta", "oracle"]


def test_the_owner_parameter_offers_every_owner_in_epochs_data(ds, schema):
    assert list(schema["owner"].choices) == [o.lower() for o in owners.owners(ds)] and schema["owner"].default == "amazon"
    assert [owners.owner_label(ds, c) for c in schema["owner"].choices] == FIVE
    assert owners.is_report_owner(ds, params.resolve({}, ds))
    assert not owners.is_report_owner(ds, params.resolve({"owner": "meta"}, ds))


@pytest.mark.parametrize("owner", FIVE)
def test_each_owners_funnel_adds_its_vendors_and_divides_by_its_filed_capex(ds, drawn, owner):
    f = owners.funnel(ds, drawn, owner).set_index("year")
    np.testing.assert_allclose(f["accelerator_spend"], f["nvidia_spend"] + f["challenger_spend"])
    np.testing.assert_allclose(f["accelerator_spend_of_capex"], f["accelerator_spend"] / f["capex"])
    nvidia = drawn.spend[(owner, "Nvidia")]
    np.testing.assert_allclose(f["nvidia_spend"], nvidia[0])
    np.testing.assert_allclose(f["nvidia_spend_p95"], np.percentile(nvidia[1:], 95, axis=0))
    first = {"Amazon": 2024, "Google": 2023}.get(owner, 2024)       # a challenger's first covered year
    assert f.loc[:first - 1, "challenger_spend"].isna().all() and f.loc[first:, "challenger_spend"].notna().all()
    company, metric = owners.CAPEX[owner]
    rows = ds["financials"].query("company == @company and metric == @metric")
    if owner == "Oracle":                   # fiscal years to May 31 only: no calendar year, so no share (not zero)
        assert f["capex"].isna().all() and f["accelerator_spend_of_capex"].isna().all() and len(rows)
    else:
        q = rows[rows["fiscal_period"].str.contains("Q") & rows["period_end"].str.startswith("2024")]
        assert len(q) == 4 and f.loc[2024, "capex"] == pytest.approx(q["value"].sum() / 1e3)
        assert 0 < f.loc[2025, "accelerator_spend_of_capex_p5"] < f.loc[2025, "accelerator_spend_of_capex"] < 1


@pytest.fixture(scope="module")
def google(ds):
    from analysis.sections import SECTIONS
    values = params.resolve({"owner": "google", "mc_draws": 1000}, ds)
    return {name: SECTIONS[name].compute(ds, values) for name in ("summary", "capex", "portfolio", "erosion")}


def test_another_owners_sections_show_its_own_numbers_and_omit_the_landlord(ds, google):
    from analysis.views.exhibits import Text
    words = {name: " ".join(e.markdown for part in r.parts.values() for e in part if isinstance(e, Text))
             for name, r in google.items()}
    assert "This run is about Google" in words["portfolio"] and "not computed for Google" in words["portfolio"]
    assert sum(len(part) for part in google["portfolio"].parts.values()) == 1 and not google["portfolio"].published
    assert "Alphabet" in words["capex"] and "AWS's segment" in words["capex"]
    assert "TPU (Google's own)" in words["erosion"] and "no release of Google's" in words["erosion"]
    summary = {h.key: h for h in google["summary"].published["summary"].items}
    assert summary["owner"].value == "Google"
    p = params.resolve({"mc_draws": 1000}, ds)
    mine = owners.shares(ds, p, owners.draws(ds, p)).query("owner == 'Google' and year == 2025").iloc[0]
    assert summary["asic_spend_share_observed_last"].value == pytest.approx(mine["spend_share"])
    assert summary["nvidia_revenue_observed_last"].value == pytest.approx(mine["nvidia_spend"])
    assert summary["p_nvidia_revenue_below_observed_last"].value is None        # not forecast, and said so
    assert "not forecast" in summary["nvidia_revenue_long_term"].label
    erosion = {h.key for h in google["erosion"].published["erosion"].items}
    assert {"p_asic_above_25pct_2030", "year_asic_stays_above_50pct", "share_never_stays_above_25pct"} <= erosion
    assert "nvidia_revenue_long_term" not in erosion


def test_the_verdict_names_the_owner_and_never_reads_a_revenue_forecast_it_lacks(ds, google):
    from analysis.views import verdict, verdict_inputs
    results = {s: {h.key: h.as_dict() for h in g.items} for r in google.values() for s, g in r.published.items()}
    from analysis.models.horizons import thresholds
    said = verdict.decide(verdict_inputs.from_results(results, thresholds(ds)))
    assert said.question == "Is Nvidia's revenue from Google at risk due to non-Nvidia chips?"
    assert "AWS" not in said.headline + said.happened + said.fall + said.when and "Amazon" not in said.happened
    assert said.rule not in {"halves", "falls", "falls_not_from_asics", "may_fall"}
    assert "not forecast" in said.fall and said.inputs["p_fall"].value is None
    assert verdict.AMAZON.say(verdict.QUESTION) == verdict.QUESTION           # Amazon's words unchanged


def test_every_owner_is_in_the_hindcast_with_its_coverage(ds, p, drawn):
    from analysis.models import hindcast
    from analysis.sections import hindcast_items
    cases, skipped = owner_outlook.hindcast_cases(ds, drawn)
    cov = hindcast.by_owner(cases, skipped, FIVE).set_index("owner")
    assert list(cov.index) == FIVE
    for owner in FIVE:
        assert cov.loc[owner, "outcomes"] == 2 and cov.loc[owner, "origins"] == "2024" and cov.loc[owner, "left_out"] == "2023"
        assert cov.loc[owner, "inside_90"] == cases.loc[cases["owner"] == owner, "inside_90"].mean()
    empty = hindcast.by_owner(cases[cases["owner"] != "Meta"], skipped, FIVE).set_index("owner")
    assert empty.loc["Meta", "outcomes"] == 0 and np.isnan(empty.loc["Meta", "inside_90"])
    keys = [r.key for r in hindcast_items.owner_results(cov.reset_index())]
    assert keys == [f"hindcast_{owner.lower()}_coverage_90" for owner in FIVE]


@pytest.mark.build
@pytest.mark.parametrize("owner", OTHERS)
def test_run_builds_a_complete_report_for_each_owner(tmp_path, owner, ds, warm):
    """`run --set owner=NAME` at the test settings: every notebook, the page and brief naming the owner, results.json
    with the owner, no landlord section, and the owner's numbers where Amazon's stand. The first owner through the
    command line; the others through the same build in the session's kept kernels (tests/conftest.py `warm`)."""
    from analysis.pipeline import report
    from tests.conftest import run_cli
    out = tmp_path / owner
    if owner == OTHERS[0]:
        done = run_cli("run", "--out", str(out), "--set", f"owner={owner}", "--set", "mc_draws=1000")
        assert done.returncode == 0, done.stderr
    else:
        values = params.resolve({"owner": owner, "mc_draws": 1000}, ds)
        report.build(out, values, params.schema(ds), ds, workers=warm())
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    label = owner.capitalize()
    assert results["parameters"]["owner"] == owner
    assert results["verdict"]["question"] == f"Is Nvidia's revenue from {label} at risk due to non-Nvidia chips?"
    assert results["results"]["summary"]["owner"]["value"] == label and "portfolio" not in results["results"]
    assert len(list((out / "notebooks").glob("*.ipynb"))) == 6
    for page in ("index.html", "brief.html"):
        assert f"Is Nvidia&#39;s revenue from {label}" in (out / page).read_text(encoding="utf-8") or \
            f"Is Nvidia's revenue from {label}" in (out / page).read_text(encoding="utf-8"), page
    by_year = pd.read_csv(out / "data" / "erosion_by_year.csv").set_index("year")      # Amazon's columns, the owner's numbers
    assert list(by_year.columns[:4]) == ["observed", "accelerator_spend_usd_b", "nvidia_revenue_usd_b", "nvidia_spend_share"]
    last = results["results"]["summary"]["asic_spend_share_observed_last"]
    assert by_year.loc[2025, "asic_spend_share"] == pytest.approx(last["value"]) and by_year.loc[2030, "nvidia_revenue_usd_b"] != \
        by_year.loc[2030, "nvidia_revenue_usd_b"]            # not forecast: empty, never a number


def test_compare_and_sweep_read_each_owners_own_headlines(ds, schema):
    """`compare` and `sweep` evaluate sections through `attribution.section_values`: with `owner` set, each section gives
    that owner's numbers (Amazon's landlord section none), so Amazon and Google compare under the same assumptions."""
    from analysis.pipeline import attribution, sweep
    declared = attribution.section_parameters(ds)
    assert all("owner" in declared[name] for name in ("summary", "erosion", "portfolio"))
    amazon, google = (attribution.section_values(ds, schema, {"owner": o, "mc_draws": 1000}, declared, ("summary", "portfolio"))
                      for o in ("amazon", "google"))
    assert google["portfolio"] == {} and amazon["portfolio"]
    p = params.resolve({"mc_draws": 1000}, ds)
    mine = owners.shares(ds, p, owners.draws(ds, p)).query("owner == 'Google' and year == 2025").iloc[0]
    assert google["summary"]["asic_spend_share_observed_last"] == pytest.approx(mine["spend_share"])
    assert amazon["summary"]["asic_spend_share_observed_last"] != google["summary"]["asic_spend_share_observed_last"]
    means = pd.DataFrame({"setting": ["amazon", "google"], "result": [0.5, 0.25]})
    assert sweep._direction(means, "owner") == "by owner: amazon 0.5; google 0.25"


@pytest.mark.command
def test_a_release_locks_another_owners_forecast_as_its_own_model_in_the_hub(ds, schema, tmp_path):
    """`release VERSION --set owner=NAME`: model NAME-VERSION beside Amazon's aws-VERSION; two owners' releases of one
    date share its round (the union of their tasks); hubdata reads every file; the track record names the owner and
    scores it against its own observed share; a second release of the same owner and version is refused."""
    import shutil

    import hubdata

    from analysis.models import forecasts, hub_models
    from analysis.models.forecasts import ReleaseError
    from tests.conftest import run_cli
    folder = tmp_path / "forecasts"
    new_date = "2030-01-15"                                      # a date no committed release has: a new round
    shutil.copytree(ROOT / "forecasts", folder)
    rounds_before = len(json.loads((folder / "hub-config" / "tasks.json").read_text(encoding="utf-8"))["rounds"])
    for owner in ("google", "meta"):
        p = params.resolve({"owner": owner, "mc_draws": 1000}, ds)
        path = hub_models.release(ds, p, schema, "2026.12", folder, "defaults", new_date)
        assert path == f"model-output/{owner}-2026_12/{new_date}-{owner}-2026_12.csv"
    with pytest.raises(ReleaseError, match="never overwritten"):
        hub_models.release(ds, params.resolve({"owner": "meta", "mc_draws": 1000}, ds), schema, "2026.12", folder,
                           "defaults", new_date)
    assert not forecasts.check_locked(folder)
    rounds = json.loads((folder / "hub-config" / "tasks.json").read_text(encoding="utf-8"))["rounds"]
    assert len(rounds) == rounds_before + 1                 # one round for the date, shared by both owners
    meta = (folder / "model-metadata" / "google-2026_12.yml").read_text(encoding="utf-8")
    assert 'team_abbr: "google"' in meta and "non-Nvidia share" in meta
    table = hubdata.connect_hub(folder).get_dataset().to_table().to_pandas()
    assert {"aws-2026_12", "google-2026_12", "meta-2026_12"} <= set(table["model_id"])
    mine = table[table["model_id"] == "google-2026_12"]
    assert set(mine["target"]) == {"asic_share_of_spend", "asic_share_of_spend_above_25pct", "asic_share_of_spend_above_50pct"}
    d = owners.draws(ds, params.resolve({"owner": "google", "mc_draws": 1000}, ds))
    f = owner_outlook.forecast(ds, d, "Google", 2025)
    median_2030 = mine[(mine["year"] == 2030) & (mine["output_type_id"] == "0.50") & (mine["target"] == "asic_share_of_spend")]
    assert float(median_2030["value"].iloc[0]) == pytest.approx(np.quantile(f.spend_share[1:, -1], 0.5), rel=1e-8)
    record = hub_models.score(ds, schema, folder)
    assert {"2026.12", "2026.12 (Google)", "2026.12 (Meta)"} <= set(record["release"])
    truth = hub_models.owner_outcomes(ds, "Google")
    shares = owners.shares(ds, params.resolve({}, ds), owners.draws(ds, params.resolve({}, ds)))
    assert truth[("asic_share_of_spend", 2025)] == pytest.approx(shares.query("owner == 'Google' and year == 2025")["spend_share"].iloc[0])
    done = run_cli("release", "2026.12", "--set", "owner=google", "--forecasts-dir", str(folder))
    assert done.returncode == 2 and "never overwritten" in done.stderr
