"""Section 3 wiring: inputs from data and parameters, scenarios, Monte Carlo properties, hindcast."""
import numpy as np
import pytest

from analysis import data, erosion, outlook, params, scenarios
from analysis.errors import ParameterError
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def ds():
    return data.load_dataset()


@pytest.fixture(scope="module")
def schema(ds):
    return params.schema(ds)


@pytest.fixture(scope="module")
def base(ds, schema):
    p = params.resolve({"mc_draws": "4000", "sobol_base_samples": "256"}, ds)
    return p, outlook.run(ds, p, schema)


def test_annual_capex_sums_reported_quarters(ds):
    capex = outlook.annual_capex(ds)
    assert capex[2023] == 14207 + 11455 + 12479 + 14588 == 52729
    assert capex[2024] == 82999 and capex[2025] == 131819
    assert 2026 not in capex.index          # only two quarters of 2026 are reported


def test_default_trainium_parameters_are_the_fit_to_epoch(ds, schema):
    fit = outlook.fit_trainium(ds)
    assert schema["trainium_ceiling"].default == pytest.approx(fit.ceiling, abs=0.001)
    assert schema["trainium_midpoint"].default == pytest.approx(fit.midpoint, abs=0.01)
    assert schema["trainium_takeover"].default == pytest.approx(fit.takeover, abs=0.01)


def test_cost_per_h100e_by_hand(ds):
    p = params.resolve({}, ds)
    fleet_rows = ds["epoch_fleet"]
    y2025 = fleet_rows[fleet_rows["quarter"].str.startswith("2025")].groupby(["chip", "measure"])["median"].sum()
    price = {"B200": 36742, "B300": 36742, "H100/H200": 23238}     # Epoch's 2025 geometric means (accelerator_specs.csv)
    nvidia = sum(y2025[(c, "units")] * price[c] for c in price)
    nvidia_h100e = sum(y2025[(c, "h100e")] for c in price)
    costs = outlook.cost_per_h100e(ds, p)
    assert costs["nvidia"] == pytest.approx(nvidia / nvidia_h100e)
    assert costs["trainium"] == pytest.approx(4000 * y2025[("Trainium2", "units")] / y2025[("Trainium2", "h100e")])
    assert costs["trainium"] < costs["nvidia"]


def test_model_inputs_follow_the_actuals_cutoff(ds):
    p = params.resolve({"capex_actuals_through": "2023"}, ds)
    inputs = outlook.model_inputs(ds, p)
    assert sorted(inputs.capex_actual) == [2022, 2023]
    assert inputs.capex_growth[2024] == p["capex_growth_2024"] and inputs.capex_growth[2030] == p["capex_growth_late"]
    assert inputs.ai_share_of_capex == pytest.approx(p["aws_capex_share_outlook"] * p["ai_share"])


def test_shares_sum_to_one_in_every_year_and_draw(ds, base):
    p, result = base
    inputs = result["inputs"]
    draws = erosion.sample_inputs(result["specs"], 2000, 7)
    paths = erosion.evaluate(inputs, outlook.to_model(inputs, p, draws))
    for kind in ("compute", "spend"):
        total = sum(paths[f"{kind}_share_{v}"] for v in erosion.VENDORS)
        np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_monte_carlo_median_is_close_to_the_deterministic_run(base):
    _, result = base
    mc = result["outcomes"].set_index("outcome")
    det = result["summary"]
    assert mc.loc["nvidia_revenue_2024_2030", "p50"] == pytest.approx(det["nvidia_revenue_2024_2030"], rel=0.06)
    assert mc.loc["nvidia_spend_share_2030", "p50"] == pytest.approx(det["nvidia_spend_share_2030"], abs=0.03)


def test_same_seed_is_byte_identical_and_another_seed_differs(ds, schema):
    p = params.resolve({"mc_draws": "2000", "sobol_base_samples": "64"}, ds)
    a, b = outlook.run(ds, p, schema), outlook.run(ds, p, schema)
    assert a["percentiles"].to_csv() == b["percentiles"].to_csv()
    assert a["sobol"].to_csv() == b["sobol"].to_csv()
    c = outlook.run(ds, {**p, "random_seed": 1}, schema)
    assert a["percentiles"].to_csv() != c["percentiles"].to_csv()


def test_a_higher_trainium_ceiling_lowers_nvidia_spend_share_every_year(ds):
    low = outlook.model_inputs(ds, params.resolve({"trainium_ceiling": "0.4"}, ds))
    high = outlook.model_inputs(ds, params.resolve({"trainium_ceiling": "0.6"}, ds))
    lo, hi = erosion.evaluate(low)["spend_share_nvidia"][0], erosion.evaluate(high)["spend_share_nvidia"][0]
    assert np.all(hi <= lo) and np.any(hi < lo)


def test_cheaper_trainium_takes_less_spend_for_the_same_compute(ds):
    cheap = erosion.evaluate(outlook.model_inputs(ds, params.resolve({"trainium_unit_cost_usd": "3000"}, ds)))
    dear = erosion.evaluate(outlook.model_inputs(ds, params.resolve({"trainium_unit_cost_usd": "6000"}, ds)))
    np.testing.assert_allclose(cheap["compute_share_trainium"], dear["compute_share_trainium"])
    assert np.all(cheap["spend_share_trainium"][0, 3:] < dear["spend_share_trainium"][0, 3:])
    assert np.all(cheap["spend_share_trainium"][0, 3:] < cheap["compute_share_trainium"][0, 3:])


def test_tornado_and_sobol_rank_the_inputs(base):
    _, result = base
    tornado, sobol = result["tornado"], result["sobol"]
    assert list(tornado["swing"]) == sorted(tornado["swing"], reverse=True)
    assert set(sobol["input"]) == set(result["specs"])
    assert sobol["ST"].iloc[0] >= sobol["ST"].iloc[-1]


def test_every_scenario_file_resolves_with_a_reason_per_value(ds):
    assert {"essay-2024", "base", "nvidia-holds", "asic-surge"} <= set(scenarios.names())
    for name in scenarios.names():
        scenario = scenarios.load(name)
        assert scenario["description"] and all(scenario["reasons"].values())
        scenarios.resolve_scenario(name, ds)


def test_base_scenario_is_the_default_parameter_set(ds):
    assert scenarios.resolve_scenario("base", ds) == params.resolve({}, ds)


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


def test_cli_refuses_an_unknown_scenario(tmp_path):
    result = run_cli("run", "--scenario", "no-such", "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "unknown scenario 'no-such'" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "r").exists()


def test_hindcast_reports_errors_and_band_membership(ds, schema):
    p = params.resolve({**scenarios.load("essay-2024")["values"], "mc_draws": 2000, "sobol_base_samples": 64}, ds)
    hind = outlook.hindcast(ds, p, outlook.run(ds, p, schema))
    assert len(hind) == 6
    np.testing.assert_allclose(hind["error"], hind["projected"] - hind["actual"])
    assert list(hind["inside_p5_p95"]) == [bool(a) for a in (hind["p5"] <= hind["actual"]) & (hind["actual"] <= hind["p95"])]
    capex = hind[hind["quantity"].str.startswith("Amazon")].set_index("year")
    assert capex.loc[2025, "actual"] == pytest.approx(131.819)
    assert capex.loc[2024, "projected"] == pytest.approx(52.729 * 1.15)
