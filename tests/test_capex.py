"""Capex arithmetic against hand-computed figures."""
import dataclasses

import pandas as pd
import pytest

from analysis import data
from analysis.data import params
from analysis.models import capex, fleet
from analysis.sections import capex as capex_section


@pytest.fixture(scope="module")
def ds():
    return data.load_dataset()


P = params.resolve({"ai_share": 0.4, "server_overhead_fraction": 0.5, "pue": 1.2, "utilization": 0.5})


def _half(quarters):
    """AWS's share of capex: one half in every quarter."""
    return pd.Series(0.5, index=quarters)


def mix(rows):
    """A chip mix as fleet.quarterly_mix returns it: (quarter, chip, unit_share, all_in_usd, power_w, rent)."""
    return pd.DataFrame(rows, columns=["quarter", "chip", "unit_share", "all_in_usd", "power_w", "rent_usd_per_hour"])


H100_ONLY = mix([("2023Q3", "H100/H200", 1.0, 40_000.0, 1_000.0, 10.0)])


def test_a_quarter_with_only_h100_is_the_single_chip_arithmetic():
    row = capex.ai_funnel(pd.Series([10_000.0], index=["2023Q3"]), H100_ONLY, _half(["2023Q3"]), P).iloc[0]
    assert row["aws_capex"] == pytest.approx(5_000)            # 10,000 x 0.5
    assert row["ai_hardware"] == pytest.approx(2_000)          # 5,000 x 0.4
    assert row["accelerators"] == pytest.approx(50_000)        # 2,000e6 / 40,000
    assert row["power_mw"] == pytest.approx(90)                # 50,000 x 1 kW x 1.5 x 1.2 = 90,000 kW
    assert row["annual_rental_capacity"] == pytest.approx(2_190)  # 50,000 x 8,760 x 0.5 x 10 / 1e6
    assert row["rental_payback_years"] == pytest.approx(2_000 / 2_190)


def test_the_mix_changes_the_count_power_and_rent():
    # half H100 at 40,000 / 1 kW / 10 USD, half a cheap chip at 10,000 / 0.5 kW / 2 USD: mean 25,000, 750 W, 6 USD
    both = mix([("2023Q3", "H100/H200", 0.5, 40_000.0, 1_000.0, 10.0), ("2023Q3", "T", 0.5, 10_000.0, 500.0, 2.0)])
    row = capex.ai_funnel(pd.Series([10_000.0], index=["2023Q3"]), both, _half(["2023Q3"]), P).iloc[0]
    assert row["all_in_usd"] == pytest.approx(25_000)
    assert row["accelerators"] == pytest.approx(80_000)        # 2,000e6 / 25,000
    assert row["power_mw"] == pytest.approx(80_000 * 0.75 * 1.5 * 1.2 / 1e3)
    assert row["annual_rental_capacity"] == pytest.approx(80_000 * 8_760 * 0.5 * 6 / 1e6)


def test_quarters_after_the_mix_use_its_last_quarter():
    two = pd.concat([H100_ONLY, mix([("2023Q4", "T", 1.0, 10_000.0, 500.0, 2.0)])])
    out = capex.ai_funnel(pd.Series([1_000.0, 1_000.0, 1_000.0], index=["2023Q3", "2023Q4", "2024Q1"]), two, _half(["2023Q3", "2023Q4", "2024Q1"]), P)
    assert list(out["mix_quarter"]) == ["2023Q3", "2023Q4", "2023Q4"]
    assert out.loc["2024Q1", "accelerators"] == pytest.approx(out.loc["2023Q4", "accelerators"])
    assert out.loc["2023Q3", "accelerators"] == pytest.approx(out.loc["2023Q4", "accelerators"] / 4)


def test_funnel_scales_linearly():
    base = capex.ai_funnel(pd.Series([1_000.0, 2_000.0], index=["2023Q3", "2023Q3"]), H100_ONLY, _half(["2023Q3", "2023Q3"]), P)
    assert base["accelerators"].iloc[1] == pytest.approx(2 * base["accelerators"].iloc[0])


def test_real_mix_by_hand(ds):
    p = params.resolve({}, ds)
    m = fleet.quarterly_mix(ds, p).set_index(["quarter", "chip"])
    assert m.groupby("quarter")["unit_share"].sum().to_numpy() == pytest.approx(1.0)
    # One server price: an 8-GPU H100 server sqrt(270,000 x 300,000) / 8 per GPU in 2023, / (1 - 0.19) for the network;
    # other chips scaled by their price relative to Epoch's 2023 H100 price 34,641. Units and TDP from epoch_fleet.csv.
    server_factor = (270_000 * 300_000) ** 0.5 / 8 / 34_641
    h = m.loc[("2023Q3", "H100/H200")]
    assert h["all_in_usd"] == pytest.approx((270_000 * 300_000) ** 0.5 / 8 / 0.81, rel=1e-5)
    assert 270_000 <= h["all_in_usd"] * 0.81 * 8 <= 300_000                  # inside the sourced server-price band
    assert h["power_w"] == pytest.approx(700, abs=1)
    assert m.loc[("2025Q2", "H100/H200"), "rent_usd_per_hour"] == pytest.approx(98.32 / 8)   # April: pre-cut
    assert m.loc[("2025Q3", "H100/H200"), "rent_usd_per_hour"] == pytest.approx(55.04 / 8)   # July: post-cut
    assert m.loc[("2025Q3", "Trainium2"), "all_in_usd"] == pytest.approx(4_000 * server_factor / 0.81, rel=1e-5)
    assert m.loc[("2025Q3", "Trainium2"), "rent_usd_per_hour"] == pytest.approx(35.7608 / 16)


def test_the_chip_maps_are_read_from_the_data(data_copy):
    """Each Epoch chip's price chip and rent instance come from data/epoch_chips.csv: another rent instance for the
    H100/H200 line changes its rent and nothing else; an Epoch chip priced at another chip's rows takes its prices."""
    path = data_copy / "epoch_chips.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("H100/H200,h100-sxm,p5.48xlarge,", "H100/H200,h100-sxm,p5en.48xlarge,")
    text = text.replace("B300,b300,p6-b300.48xlarge,", "B300,b200,p6-b300.48xlarge,")
    path.write_text(text, encoding="utf-8")
    data.write_manifest(data_copy)
    edited, ds = data.load_dataset(data_copy), data.load_dataset()
    p = params.resolve({}, ds)
    before = fleet.quarterly_mix(ds, p).set_index(["quarter", "chip"])
    after = fleet.quarterly_mix(edited, params.resolve({}, edited)).set_index(["quarter", "chip"])
    assert after.loc[("2025Q3", "H100/H200"), "rent_usd_per_hour"] == pytest.approx(63.296 / 8)       # p5en, not p5
    assert before.loc[("2025Q3", "H100/H200"), "rent_usd_per_hour"] == pytest.approx(55.04 / 8)
    assert after.loc[("2025Q3", "H100/H200"), "all_in_usd"] == before.loc[("2025Q3", "H100/H200"), "all_in_usd"]
    prices = fleet.unit_prices(edited, 4_000.0).set_index(["chip", "year"])["usd"]
    assert prices[("B300", 2025)] == fleet.unit_prices(ds, 4_000.0).set_index(["chip", "year"])["usd"][("B200", 2025)]


def test_rental_capacity_follows_the_landlords_utilization_not_the_tenants(ds):
    """The funnel's rental capacity is AWS's: it scales with `utilization` (hours sold) and ignores
    `tenant_utilization` (a tenant's own server)."""
    base = capex.funnel(ds, params.resolve({}, ds))
    tenant = capex.funnel(ds, params.resolve({"tenant_utilization": 0.2}, ds))
    pd.testing.assert_frame_equal(tenant, base)
    landlord = capex.funnel(ds, params.resolve({"utilization": 0.35}, ds))
    assert landlord["annual_rental_capacity"].to_numpy() == pytest.approx(base["annual_rental_capacity"].to_numpy() / 2)
    assert landlord["accelerators"].equals(base["accelerators"])


def test_essay_check_uses_reported_q3_2023_capex(ds):
    check = capex.essay_check(ds, params.resolve({"ai_share": "0.5"}, ds))
    assert check.loc["Amazon gross capex (reported)", "this report"] == 12_479
    assert check.loc["AWS capex", "this report"] == pytest.approx(12_479 * 24_843 / 48_344)    # FY2023 segment note
    assert check.loc["AI hardware capex", "essay"] == 4_000
    assert check.loc["AWS share of Amazon capex", "essay"] == pytest.approx(8_000 / 12_479)


def test_aws_share_of_capex_comes_from_each_years_segment_note(ds):
    share = capex.aws_capex_share_by_year(ds)
    assert share.to_dict() == pytest.approx({2023: 24_843 / 48_344, 2024: 53_267 / 85_752, 2025: 96_496 / 142_352})
    f = capex.funnel(ds, params.resolve({}, ds))
    assert f.loc["2024Q3", "aws_capex_share"] == pytest.approx(53_267 / 85_752)
    assert f.loc["2022Q1", "aws_share_year"] == 2023 and f.loc["2026Q2", "aws_share_year"] == 2025   # nearest filed year
    assert f.loc["2026Q2", "aws_capex"] == pytest.approx(f.loc["2026Q2", "capex_gross"] * 96_496 / 142_352)


def test_essay_check_rejects_a_quarter_without_data(ds):
    with pytest.raises(KeyError, match="2019Q1"):
        # The schema refuses such a quarter (Params.replace too): the model's own check, past the schema.
        capex.essay_check(ds, dataclasses.replace(params.resolve({}, ds), focus_quarter="2019Q1"))


def test_quarterly_series_are_complete_from_2022(ds):
    wide = capex.wide(capex.amazon_quarterly(ds))
    quarters = list(wide["capex_gross"].dropna().index)
    assert quarters[0] == "2022Q1" and len(quarters) == len(set(quarters))
    assert quarters == sorted(quarters) and len(quarters) >= 18


def test_headlines_follow_the_funnel(ds):
    p = params.resolve({}, ds)
    results = {r.key: r.as_dict() for r in capex_section.headline_items(ds, p)}
    m = fleet.quarterly_mix(ds, p)
    q = m[m["quarter"] == "2023Q3"]
    mean_all_in = (q["unit_share"] * q["all_in_usd"]).sum()
    assert results["focus_quarter_accelerators"]["value"] == pytest.approx(
        12_479e6 * (24_843 / 48_344) * p["ai_share"] / mean_all_in)
    f = capex.funnel(ds, p)
    assert results["latest_four_quarters_capex_gross"]["value"] == pytest.approx(f["capex_gross"].iloc[-4:].sum())
    assert all(r["unit"] for r in results.values())
    # The funnel's counts are the essay's split carried forward: labelled so, and not headlines for the latest quarters.
    assert "essay's split" in results["focus_quarter_accelerators"]["label"]
    assert not {"latest_four_quarters_accelerators", "latest_four_quarters_power_mw"} & set(results)


def test_cross_check_and_sensitivity_follow_the_funnel(ds):
    p = params.resolve({}, ds)
    f = capex.funnel(ds, p)
    check = capex.epoch_cross_check(ds, f)
    epoch = ds["epoch_fleet"]
    rows = epoch[(epoch["quarter"] == "2024Q2") & (epoch["measure"] == "units") & (epoch["owner"] == "Amazon")]
    assert check.loc["2024Q2", "epoch_median"] == rows["median"].sum()
    assert check.loc["2024Q2", "ratio"] == pytest.approx(f.loc["2024Q2", "accelerators"] / rows["median"].sum())
    assert "2026Q2" not in check.index                                   # Epoch has no complete 2026Q2
    grid = capex.ai_share_sensitivity(ds, p, [0.25, 0.5]).set_index("ai_share")
    assert grid.loc[0.5, "accelerators"] == pytest.approx(2 * grid.loc[0.25, "accelerators"])
