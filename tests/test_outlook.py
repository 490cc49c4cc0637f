"""Section 3 wiring on the real data: observed years as data, calibration, vendors as data, central estimate,
scenarios and the hindcast."""
import hashlib
import shutil

import numpy as np
import pytest

from analysis import data
from analysis.data import params, scenarios
from analysis.models import (erosion, erosion_sampling, forecast_result, horizons, observations, observed_checks, outlook,
                             scenario_runs)
from analysis.sections import erosion_text
from analysis.errors import ParameterError
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def base(ds, schema):
    p = params.resolve({"mc_draws": "20000", "sobol_base_samples": "256"}, ds)
    return p, outlook.run(ds, p, schema)


def test_annual_capex_sums_reported_quarters(ds):
    capex = observations.annual_capex(ds)
    assert capex[2023] == 14207 + 11455 + 12479 + 14588 == 52729
    assert capex[2024] == 82999 and capex[2025] == 131819
    assert 2026 not in capex.index          # only two quarters of 2026 are reported


def test_observed_purchases_price_epoch_units_chip_by_chip(ds):
    p = params.resolve({}, ds)
    purchases = observations.observed_purchases(ds, p).set_index(["year", "vendor"])
    fleet = ds["epoch_fleet"].query("owner == 'Amazon'")
    units = fleet[(fleet["measure"] == "units") & fleet["quarter"].str.startswith("2023")].groupby("chip")["median"].sum()
    prices = ds["accelerator_specs"].query("metric == 'price' and source_id == 'epoch-ai-chip-counts' and as_of == '2023'")
    price = prices.set_index("chip_id")["value"]
    expected = (units["A100"] * price["a100-sxm-80"] + units["H100/H200"] * price["h100-sxm"]) / 1e9
    assert purchases.loc[(2023, "nvidia"), "spend"] == pytest.approx(expected)     # the central estimate: medians
    assert np.isnan(purchases.loc[(2023, "trainium"), "spend"])          # Epoch has no Trainium rows before 2024
    assert purchases.loc[(2025, "amd"), "spend"] == 0.0                  # Epoch lists no AMD at Amazon: zero
    trn = fleet[(fleet["measure"] == "units") & (fleet["vendor"] == "Amazon") & fleet["quarter"].str.startswith("2025")]
    factor = trn["chip"].map(outlook.fleet.own_cost_factor(ds))          # Trainium1 at its rent ratio to Trainium2
    assert outlook.fleet.own_cost_factor(ds)["Trainium1"] < 1 and purchases.loc[(2025, "trainium"), "spend"] == pytest.approx(
        (trn["median"] * factor).sum() * p["trainium_unit_cost_usd"] / 1e9)
    # The draws' band is non-zero and narrower than Epoch's widest (every chip's p95 units together, at the unit
    # cost's sourced high: the draws price Trainium across its range too).
    high = params.schema(ds)["trainium_unit_cost_usd"].high
    assert purchases.loc[(2025, "trainium"), "spend_p5"] < purchases.loc[(2025, "trainium"), "spend"] \
        < purchases.loc[(2025, "trainium"), "spend_p95"] < (trn["p95"] * factor).sum() * high / 1e9


def test_observed_years_carry_the_datas_own_band_and_the_central_row_is_epochs_median(ds, schema, base):
    p, result = base
    model = result.model
    assert model.observed.years == (2022, 2023, 2024, 2025) and model.forecast_years == (2026, 2027, 2028, 2029, 2030)
    nvidia = observations.observed_purchases(ds, p).query("vendor == 'nvidia'").set_index("year")
    central = result.central
    pct = result.percentiles.set_index(["metric", "year"])
    for year in model.observed.years:
        assert central.loc[year, "nvidia_revenue"] == pytest.approx(nvidia.loc[year, "spend"])
        assert central.loc[year, "capex"] == observations.annual_capex(ds)[year] / 1e3
        row = pct.loc[("nvidia_revenue", year)]
        assert row["p5"] < central.loc[year, "nvidia_revenue"] < row["p95"]          # a band, never re-estimated
        capex = result.draws["capex"][:, list(model.years).index(year)]
        assert (capex == central.loc[year, "capex"]).all()                          # filings: exact in every draw
    for year in (2024, 2025):
        row = pct.loc[("asic_spend_share", year)]
        assert row["p5"] < central.loc[year, "asic_spend_share"] < row["p95"]


def test_observed_year_bands_lie_inside_epochs_widest_band(ds, schema, base):
    p, result = base
    check = observed_checks.spend_check(ds, p, schema, result)
    assert list(check["year"]) == [2022, 2023, 2024, 2025]
    assert ((check["epoch_p5"] <= check["model_accelerator_spend_p5"]) & (check["model_accelerator_spend_p95"] <= check["epoch_p95"])).all()
    assert ((check["nvidia_p5"] <= check["model_nvidia_revenue_p5"]) & (check["model_nvidia_revenue_p95"] <= check["nvidia_p95"])).all()
    assert (check["model_nvidia_revenue_p5"] < check["model_nvidia_revenue_p95"]).all()
    assert check["amazon_share_of_nvidia_dc"].between(0, 1).all()


def test_the_draws_reproduce_epochs_band_of_the_cumulative_total(ds):
    """The correlation of the unit draws is fitted to Epoch's own band of the sum of all quarters."""
    from analysis.models import observed
    rows = ds["epoch_cumulative"].query("owner == 'Amazon'").set_index("vendor")
    units = observed._unit_rows(ds)
    assert 0.0 < observed.unit_correlation(ds)["Nvidia"] < 1.0 and 0.0 < observed.unit_correlation(ds)["Amazon"] < 1.0
    rng = np.random.default_rng(5)
    for vendor in ("Nvidia", "Amazon"):
        sub = units[units["vendor"] == vendor].reset_index(drop=True)
        total = observed._unit_draws(sub, observed.unit_correlation(ds), rng, 20_000).sum(axis=1)
        p5, p95 = np.percentile(total, [5, 95])
        assert p5 == pytest.approx(rows.loc[vendor, "p5"], rel=0.05) and p95 == pytest.approx(rows.loc[vendor, "p95"], rel=0.05)


def test_nvidia_datacenter_revenue_is_calendarized_by_quarter_end(ds):
    f = ds["financials"].query("company == 'Nvidia' and metric == 'datacenter_revenue'").set_index("fiscal_period")["value"]
    by_year = observations.nvidia_datacenter_by_year(ds)
    assert by_year[2024] == pytest.approx(sum(f[f"FY2025Q{q}"] for q in range(1, 5)) / 1e3)   # Feb 2024 - Jan 2025
    assert by_year[2022] == pytest.approx(sum(f[f"FY2023Q{q}"] for q in range(1, 5)) / 1e3)


def test_each_draw_forecast_starts_where_its_past_ends(ds, schema, base):
    """Per draw, the first forecast year's accelerator spend is capex growth x the draw's own last observed share of
    capex: the 2026 median sits above the 2025 median (capex guidance +52%), and the band widens from there."""
    p, result = base
    pct = result.percentiles.set_index(["metric", "year"])
    assert pct.loc[("accelerator_spend", 2026), "p50"] > pct.loc[("accelerator_spend", 2025), "p50"]
    width = {y: pct.loc[("accelerator_spend", y), "p95"] / pct.loc[("accelerator_spend", y), "p5"] for y in (2025, 2026, 2027)}
    assert width[2025] < width[2026] < width[2027]
    model = result.model
    row = 7
    paths = erosion.evaluate(model, {"observed_data": float(row)})
    last = sum(np.nan_to_num(model.observed.spend[v.id][row, -1]) for v in model.vendors)
    growth = model.point["capex_growth_2026"]
    assert paths["accelerator_spend"][0, 4] == pytest.approx(model.observed.capex[-1] * growth * last / model.observed.capex[-1])


def test_the_trainium_price_moves_observed_and_forecast_shares_together(ds, schema):
    """One parameter prices Trainium in the observed years and, through each draw's last observed cost ratio, in the
    forecast: from $3,000 to $6,000 the 2025 and 2026 ASIC shares rise together, with no step at the boundary."""
    shares = {}
    for cost in (3000.0, 4000.0, 6000.0):
        p = params.resolve({"trainium_unit_cost_usd": cost, "mc_draws": 1000}, ds)
        shares[cost] = outlook.run(ds, p, schema, sensitivity=False).central["asic_spend_share"]
    assert shares[3000.0][2025] < shares[4000.0][2025] < shares[6000.0][2025]
    assert shares[3000.0][2026] < shares[4000.0][2026] < shares[6000.0][2026]
    for cost, share in shares.items():                                    # no step at the boundary: 2026 lies
        assert share[2025] < share[2026] < share[2027], cost                # on the way from 2025 to 2027


@pytest.mark.parametrize("overrides", [{}, {"trainium_unit_cost_usd": 3000.0}, {"observed_through": 2024},
                                       {"random_seed": 7, "trainium_unit_cost_usd": 6500.0}])
def test_the_observed_asic_share_range_is_the_models_own_observed_rows(ds, schema, overrides):
    """observed_asic_share_range reads the central row of the purchases directly: it equals, bit for bit, the erosion
    model's observed ASIC spend share built at each of the three unit costs."""
    p = params.resolve(overrides, ds)
    cost = schema["trainium_unit_cost_usd"]
    table = observed_checks.observed_asic_share_range(ds, p, schema)
    assert list(table.columns) == ["year", "at_low_cost", "central", "at_high_cost"] and len(table) > 0
    for column, value in (("at_low_cost", cost.low), ("central", p.trainium_unit_cost_usd), ("at_high_cost", cost.high)):
        model = outlook.build_model(ds, p.replace(trainium_unit_cost_usd=value), schema)
        share = erosion.evaluate(model)["asic_spend_share"][0, :len(model.observed.years)]
        by_year = dict(zip(model.observed.years, share))
        assert set(table["year"]) == {y for y, s in by_year.items() if not np.isnan(s)}
        assert [by_year[y] for y in table["year"]] == table[column].tolist(), column


def test_one_time_convention_annual_sums_and_mid_year_curves(ds, schema, base):
    p, result = base
    fleet = ds["epoch_fleet"].query("owner == 'Amazon' and measure == 'h100e' and quarter.str.startswith('2025')")
    trn, nv = (fleet[fleet["vendor"] == v]["median"].sum() for v in ("Amazon", "Nvidia"))
    central = result.central
    assert central.loc[2025, "compute_share_trainium"] == pytest.approx(trn / (trn + nv))   # calendar-year additions
    expected_2026 = erosion.logistic_move(2026 + erosion.MID_YEAR, trn / (trn + nv), p["trainium_ceiling"],
                                          p["trainium_midpoint"], p["trainium_takeover"], 2025 + erosion.MID_YEAR)
    assert central.loc[2026, "compute_share_trainium"] == pytest.approx(expected_2026)


def test_central_estimate_is_one_definition_everywhere(ds, schema, base):
    p, result = base
    s = result.summary
    assert result.ranked().tornado["base"].iloc[0] == pytest.approx(s.total("nvidia_revenue", result.horizons.forecast), rel=1e-12)
    heads = {h.key: h for h in erosion_text.headlines(result)}
    assert heads["nvidia_revenue_long_term"].value == s.total("nvidia_revenue", (2027, 2030))
    assert heads["nvidia_revenue_long_term"].period == (2027, 2030)
    by_year = forecast_result.by_year(result).set_index("year")
    assert by_year.loc[2030, "nvidia_spend_share"] == s.nvidia_spend_share_end
    # The Monte Carlo median of a sum of skewed products is not the model at the medians; it stays close.
    mc = result.outcomes.set_index("outcome")
    for metric, window in (("nvidia_revenue", (2024, 2026)), ("nvidia_revenue", (2027, 2030)),
                           ("asic_spend_share", (2027, 2030))):
        key, central = horizons.window_key(metric, window), s.total(metric, window)
        assert mc.loc[key, "p50"] == pytest.approx(central, rel=0.2), key   # skewed paths: median of outputs != output at medians
        assert mc.loc[key, "p5"] < central < mc.loc[key, "p95"]


def test_shares_sum_to_one_in_every_year_and_draw(base):
    p, result = base
    model = result.model
    paths = erosion.evaluate(model, erosion_sampling.sample_inputs(result.specs, 3000, 9))
    for kind in ("compute_share", "spend_share"):
        total = sum(paths[f"{kind}_{v.id}"] for v in model.vendors)
        np.testing.assert_allclose(total[:, 2:], 1.0)                    # every year Epoch covers every vendor


def test_threshold_probabilities_are_reported_for_every_year(base):
    p, result = base
    table = result.thresholds
    assert set(table["year"]) == set(range(2022, 2031)) and set(table["threshold"]) == {0.25, 0.5}
    probs = table.set_index(["threshold", "year"])["probability"]
    assert np.isnan(probs[(0.25, 2023)])                    # no Trainium estimate before 2024: not a number, not 0
    defined = table.dropna()
    assert defined["probability"].between(0, 1).all()
    assert all(probs[(0.5, y)] <= probs[(0.25, y)] for y in range(2024, 2031))
    assert 0 < probs[(0.25, 2024)] < 1                      # an observed year is uncertain too
    heads = {h.key: h for h in erosion_text.headlines(result)}
    assert heads["p_asic_above_25pct_2022"].value is None
    stays = heads["year_asic_stays_above_25pct"]
    assert heads["share_never_stays_above_25pct"].value == pytest.approx(1 - probs[(0.25, 2030)])
    assert stays.interval is not None
    assert not (stays.interval[0] is not None and stays.interval[0] == stays.interval[1])  # no p5 = p95 unless certain


def test_by_year_table_has_the_promised_columns(base):
    p, result = base
    table = forecast_result.by_year(result)
    assert list(table["year"]) == list(range(2022, 2031))
    assert list(table["observed"]) == [True] * 4 + [False] * 5
    for column in ("accelerator_spend_usd_b", "nvidia_revenue_usd_b", "nvidia_spend_share", "asic_spend_share",
                   "asic_compute_share", "trainium_compute_share", "erosion_same_budget_usd_b", "erosion_same_compute_usd_b",
                   "p_asic_spend_share_above_25pct", "p_asic_spend_share_above_50pct",
                   *(f"{c}_{q}" for c in ("nvidia_revenue_usd_b", "asic_spend_share", "asic_compute_share")
                     for q in ("p5", "p50", "p95"))):
        assert column in table
    assert (table["nvidia_revenue_usd_b_p5"] < table["nvidia_revenue_usd_b_p95"]).all()     # observed years too


def test_a_new_challenger_is_a_data_row_plus_parameters(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data.PACKAGE_DATA_DIR, copy)
    with open(copy / "vendors.csv", "a", encoding="utf-8") as f:
        f.write("newchip,New chip,asic,challenger,,project-assumption,assumption,test row\n")
    rows = "".join(f"newchip_{name},float,{unit},{value},{lo},{hi},,,,fixed,d,r,project-assumption,assumption,p\n"
                   for name, unit, value, lo, hi in (("ceiling", "fraction", 0.2, 0, 1), ("midpoint", "years", 2027, 2015, 2040),
                                                     ("takeover", "years", 2, 0.1, 30), ("cost_ratio", "ratio", 0.5, 0.05, 3)))
    with open(copy / "parameters.csv", "a", encoding="utf-8") as f:
        f.write(rows)
    data.write_manifest(copy)
    ds = data.load_dataset(copy)
    schema, p = params.schema(ds), params.resolve({"mc_draws": 1000}, ds)
    result = outlook.run(ds, p, schema, sensitivity=False)
    c = result.central
    assert c.loc[2030, "compute_share_newchip"] > 0.1 and c.loc[2025, "compute_share_newchip"] == 0
    baseline = outlook.run(data.load_dataset(), params.resolve({"mc_draws": 1000}), params.schema(), sensitivity=False)
    assert c.loc[2030, "asic_spend_share"] > baseline.central.loc[2030, "asic_spend_share"]


NEW_VENDOR = "newco,NewCo accelerators (test),asic,challenger,,project-assumption,assumption,a test vendor added as rows only\n"
NEW_PARAMETERS = (("ceiling", "fraction", 0.0, 0, 1), ("midpoint", "years", 2028.0, 2015, 2040),
                  ("takeover", "years", 3.0, 0.1, 30), ("cost_ratio", "ratio", 0.6, 0.05, 3))


def test_a_new_challenger_is_rows_only_and_its_ceiling_takes_share_from_nvidia(data_copy, ds):
    """A challenger added as data only (a vendors.csv row and its four parameters rows, no code change) is in the
    model and in every section-3 table; at a zero ceiling it changes nothing, and raising its ceiling lowers Nvidia's
    forecast share of spend in every forecast year (and leaves the observed years alone)."""
    with open(data_copy / "vendors.csv", "a", encoding="utf-8") as f:
        f.write(NEW_VENDOR)
    with open(data_copy / "parameters.csv", "a", encoding="utf-8") as f:
        f.writelines(f"newco_{name},float,{unit},{value},{lo},{hi},,,,fixed,NewCo's {name} (test),A test row,"
                     f"project-assumption,assumption,named assumption,NewCo {name}\n" for name, unit, value, lo, hi in NEW_PARAMETERS)
    data.write_manifest(data_copy)
    copy = data.load_dataset(data_copy)
    schema = params.schema(copy)
    low, high = (params.resolve({"mc_draws": 2000, "newco_ceiling": c}, copy) for c in (0.0, 0.3))
    assert [v.id for v in outlook.build_model(copy, low, schema).vendors] == ["nvidia", "trainium", "amd", "other", "newco"]
    at_zero, raised = (outlook.run(copy, q, schema, sensitivity=False) for q in (low, high))
    without = outlook.run(ds, params.resolve({"mc_draws": 2000}, ds), params.schema(ds), sensitivity=False)
    assert np.allclose(at_zero.central["nvidia_spend_share"], without.central["nvidia_spend_share"], equal_nan=True)
    model = raised.model
    observed_years, forecast_years = list(model.observed.years), list(model.forecast_years)
    nvidia = raised.central["nvidia_spend_share"], at_zero.central["nvidia_spend_share"]
    assert (nvidia[0].loc[forecast_years] < nvidia[1].loc[forecast_years]).all()
    assert np.allclose(nvidia[0].loc[observed_years], nvidia[1].loc[observed_years], equal_nan=True)
    assert (raised.central.loc[forecast_years, "compute_share_newco"] > 0).all()
    assert raised.summary.total("nvidia_revenue", (2027, 2030)) < at_zero.summary.total("nvidia_revenue", (2027, 2030))
    assert raised.summary.total("asic_spend_share", (2027, 2030)) > at_zero.summary.total("asic_spend_share", (2027, 2030))
    # The section's tables take the vendor in: no observed purchases (no Epoch label), and no observed cost ratio.
    bought = observations.observed_purchases(copy, high).query("vendor == 'newco'")
    assert list(bought["year"]) == observed_years and (bought["spend"] == 0).all()
    assert "newco_cost_ratio" not in outlook.calibration(copy, high)
    assert "newco_compute_share" not in observations.observed_share_bands(copy, high)
    assert list(observed_checks.spend_check(copy, high, schema, raised)["year"]) == observed_years
    assert forecast_result.by_year(raised)["nvidia_spend_share"].iloc[-1] < forecast_result.by_year(at_zero)["nvidia_spend_share"].iloc[-1]
    headline = {h.key: h for h in erosion_text.headlines(raised)}
    assert headline["nvidia_spend_share_end"].value == pytest.approx(nvidia[0].loc[forecast_years[-1]])
    assert headline["nvidia_spend_share_end"].period == (forecast_years[-1],) * 2


def test_every_scenario_file_resolves_with_a_reason_per_value(ds):
    assert {"essay-2024", "base", "nvidia-holds", "asic-surge"} <= set(scenarios.names())
    for name in scenarios.names():
        scenario = scenarios.load(name)
        assert scenario["description"] and all(scenario["reasons"].values())
        scenarios.resolve_scenario(name, ds)


def test_base_scenario_is_the_default_parameter_set(ds):
    assert scenarios.resolve_scenario("base", ds) == params.resolve({}, ds)


def test_scenarios_order_as_their_names_say(ds, schema):
    runs = {n: scenarios.resolve_scenario(n, ds) for n in ("base", "nvidia-holds", "asic-surge")}
    table, _ = scenario_runs.scenario_table(ds, {n: p.replace(mc_draws=2000) for n, p in runs.items()}, schema)
    share = table.set_index("scenario")["asic_spend_share_2027_2030"]
    assert share["nvidia-holds"] < share["base"] < share["asic-surge"]


def test_bad_scenario_files_are_refused_with_the_file_named(tmp_path, ds):
    (tmp_path / "typo.yaml").write_text("description: x\nvalues:\n  trainium_ceilng: {value: 0.5, why: typo}\n")
    with pytest.raises(ParameterError, match=r"typo.yaml: unknown parameter 'trainium_ceilng'"):
        scenarios.resolve_scenario("typo", ds, tmp_path)
    (tmp_path / "noreason.yaml").write_text("description: x\nvalues:\n  trainium_ceiling: 0.5\n")
    with pytest.raises(ParameterError, match=r"noreason.yaml: value 'trainium_ceiling' must be"):
        scenarios.load("noreason", tmp_path)
    (tmp_path / "range.yaml").write_text("description: x\nvalues:\n  trainium_ceiling: {value: 1.5, why: too high}\n")
    with pytest.raises(ParameterError, match=r"range.yaml: parameter 'trainium_ceiling': got 1.5"):
        scenarios.resolve_scenario("range", ds, tmp_path)


@pytest.mark.command
def test_cli_refuses_an_unknown_scenario(tmp_path):
    result = run_cli("run", "--scenario", "no-such", "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "unknown scenario 'no-such'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "r").exists()


def moved_elsewhere(ds, schema, listed: set[str]):
    """(name, parameter set) for each numeric or choice parameter outside `listed`, moved alone off its default (to
    its sourced high, else its low; to another choice)."""
    for name, param in schema.items():
        if name in listed or not (param.choices or param.type in ("int", "float")):
            continue
        if param.choices:
            value = next(c for c in param.choices if c != param.default)
        else:
            low, high = (param.low, param.high) if param.low is not None else (param.minimum, param.maximum)
            value = high if high != param.default else low
            value = int(value) if param.type == "int" else float(value)
        yield name, params.resolve({name: value}, ds)


def test_the_paths_spreads_read_no_parameter_but_their_own(ds, schema):
    # path_spreads is remembered by spread_values: moving any other parameter must leave the spreads as they are.
    defaults = params.resolve({}, ds)
    listed = set(outlook.spread_values(ds, defaults))
    assert {"observed_through", "random_seed", "trainium_unit_cost_usd"} <= listed
    base = repr(outlook.path_spreads(ds, defaults))
    moved = []
    for name, p in moved_elsewhere(ds, schema, listed):
        assert repr(outlook._path_spreads.__wrapped__(ds, p)) == base, f"{name} moves the spreads: list it"
        moved.append(name)
    assert {"capex_growth_scale", "trainium_ceiling", "mc_draws"} <= set(moved)
    through = params.resolve({"observed_through": 2024}, ds)
    assert repr(outlook.path_spreads(ds, through)) == repr(outlook._path_spreads.__wrapped__(ds, through)) != base


def test_the_observed_tables_read_no_parameter_but_the_measured_values(ds, schema):
    """The tables built on the measured draws (the observed purchases, share bands and calibration) are remembered by
    `observations.measured_values`: moving any other parameter leaves the draws and each table as they are, computed
    afresh; moving a measured one changes them."""
    defaults = params.resolve({}, ds)
    listed = set(observations.measured_values(ds, defaults))
    assert {"random_seed", "trainium_unit_cost_usd"} <= listed
    tables = {"draws": (observations.measured_draws, observations.measured_draws),     # computed each time
              "purchases": (observations.observed_purchases, observations._observed_purchases),
              "share bands": (observations.observed_share_bands, observations._observed_share_bands),
              "calibration": (outlook.calibration, outlook._calibration)}

    def shown(result) -> str:          # every number of a table, in full, or a digest of the draws' bytes
        if isinstance(result, observations.observed.Purchases):
            return repr((result.years, *({k: hashlib.sha256(v.tobytes()).hexdigest() for k, v in arrays.items()}
                                         for arrays in (result.spend, result.compute))))
        return result.to_csv()
    base = {name: shown(remembered(ds, defaults)) for name, (remembered, _) in tables.items()}
    moved = []
    for name, p in moved_elsewhere(ds, schema, listed):
        for table, (remembered, computed) in tables.items():
            fresh = shown(getattr(computed, "__wrapped__", computed)(ds, p))
            assert fresh == base[table] == shown(remembered(ds, p)), f"{name} moves the {table}: list it"
        moved.append(name)
    assert {"capex_growth_scale", "trainium_ceiling", "mc_draws", "observed_through"} <= set(moved)
    cheaper = params.resolve({"trainium_unit_cost_usd": 3100.0}, ds)
    for table, (remembered, computed) in tables.items():
        fresh = shown(getattr(computed, "__wrapped__", computed)(ds, cheaper))
        assert shown(remembered(ds, cheaper)) == fresh != base[table], table


@pytest.mark.parametrize("overrides", [{}, {"trainium_unit_cost_usd": 3100.0}, {"observed_through": 2024},
                                       {"observed_through": 2023, "network_share_of_cluster_capex": 0.2}])
def test_the_paths_spreads_are_measured_on_the_central_estimates_the_calibration_tables_show(ds, overrides):
    """path_spreads reads the purchases' central row directly: its spreads equal, bit for bit, those measured on the
    central columns of `calibration` and `observed_purchases` (the tables section 3 shows)."""
    from analysis.models import volatility
    p = params.resolve(overrides, ds)
    through = observations.observed_years(ds, p)[-1]
    cal = outlook.calibration(ds, p).set_index("year")
    spend = observations.observed_purchases(ds, p).pivot(index="year", columns="vendor", values="spend")
    incumbent = observations.vendors(ds)[0].id
    expected = {"capex_growth": volatility.capex_growth(observations.annual_capex(ds), through),
                "chip_share": volatility.chip_share(spend, cal["capex"], through, outlook.chip_share_bound(ds, p),
                                                    observations.peer_chip_shares(ds)),
                "cost_step": volatility.cost_step(cal[f"usd_per_h100e_{incumbent}"], through)}
    assert repr(outlook.path_spreads(ds, p)) == repr(expected)
