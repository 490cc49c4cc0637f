"""Capex arithmetic against hand-computed figures."""
import pandas as pd
import pytest

from analysis import capex, data, params


@pytest.fixture(scope="module")
def ds():
    return data.load_dataset()


P = {"aws_capex_share": 0.5, "ai_share": 0.4, "accelerator_price_usd": 40_000.0, "accelerator_power_w": 1_000.0,
     "server_overhead_fraction": 0.5, "pue": 1.2, "rental_usd_per_gpu_hour": 10.0, "utilization": 0.5}


def test_funnel_by_hand():
    row = capex.ai_funnel(pd.Series([10_000.0]), P).iloc[0]
    assert row["aws_capex"] == pytest.approx(5_000)            # 10,000 x 0.5
    assert row["ai_hardware"] == pytest.approx(2_000)          # 5,000 x 0.4
    assert row["accelerators"] == pytest.approx(50_000)        # 2,000e6 / 40,000
    assert row["power_mw"] == pytest.approx(90)                # 50,000 x 1 kW x 1.5 x 1.2 = 90,000 kW
    assert row["annual_rental_capacity"] == pytest.approx(2_190)  # 50,000 x 8,760 x 0.5 x 10 / 1e6
    assert row["rental_payback_years"] == pytest.approx(2_000 / 2_190)


def test_funnel_scales_linearly_and_monotonically():
    base = capex.ai_funnel(pd.Series([1_000.0, 2_000.0]), P)
    assert base["accelerators"].iloc[1] == pytest.approx(2 * base["accelerators"].iloc[0])
    dearer = capex.ai_funnel(pd.Series([1_000.0]), {**P, "accelerator_price_usd": 80_000.0}).iloc[0]
    assert dearer["accelerators"] == pytest.approx(base["accelerators"].iloc[0] / 2)
    assert dearer["rental_payback_years"] > base["rental_payback_years"].iloc[0]


def test_essay_check_uses_reported_q3_2023_capex(ds):
    check = capex.essay_check(ds, params.resolve({"aws_capex_share": "0.5", "ai_share": "0.5"}, ds))
    assert check.loc["Amazon gross capex (reported)", "this report"] == 12_479
    assert check.loc["AWS capex", "this report"] == pytest.approx(6_239.5)
    assert check.loc["AI hardware capex", "essay"] == 4_000
    assert check.loc["AWS share of Amazon capex", "essay"] == pytest.approx(8_000 / 12_479)


def test_essay_check_rejects_a_quarter_without_data(ds):
    with pytest.raises(KeyError, match="2019Q1"):
        capex.essay_check(ds, {**params.resolve({}, ds), "focus_quarter": "2019Q1"})  # the schema refuses it too


def test_quarterly_series_are_complete_from_2022(ds):
    wide = capex.wide(capex.amazon_quarterly(ds))
    quarters = list(wide["capex_gross"].dropna().index)
    assert quarters[0] == "2022Q1" and len(quarters) == len(set(quarters))
    assert quarters == sorted(quarters) and len(quarters) >= 18


def test_headlines_follow_the_funnel(ds):
    p = params.resolve({}, ds)
    results = {r["key"]: r for r in capex.headline_results(ds, p)}
    assert results["focus_quarter_accelerators"]["value"] == pytest.approx(12_479e6 * p["aws_capex_share"] * p["ai_share"] / p["accelerator_price_usd"])
    assert all(r["unit"] for r in results.values())
