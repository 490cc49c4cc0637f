"""Epoch AI's rows per owner: Amazon's are the default everywhere; the other owners' are read the same way."""
import math

import pandas as pd
import pytest

from analysis import data
from analysis.models import fleet


@pytest.fixture(scope="module")
def ds():
    return data.load_dataset()


def test_the_default_owner_is_amazon_and_reads_only_amazons_rows(ds):
    for measure in ("units", "h100e", "tdp"):
        assert fleet.additions(ds, measure).equals(fleet.additions(ds, measure, owner="Amazon"))
        assert fleet.chip_additions(ds, measure).equals(fleet.chip_additions(ds, measure, owner="Amazon"))
    rows = ds["epoch_fleet"].query("owner == 'Amazon' and measure == 'units' and incomplete == 'false'")
    assert fleet.additions(ds, "units")["median"].sum() == rows["median"].sum()
    assert set(fleet.additions(ds, "units")["vendor"]) == {"Nvidia", "Amazon"}


@pytest.mark.parametrize("owner, vendors", [("Google", {"Nvidia", "Google"}), ("Microsoft", {"Nvidia", "AMD"}),
                                            ("Meta", {"Nvidia", "AMD"}), ("Oracle", {"Nvidia", "AMD"})])
def test_each_other_owner_has_its_vendors_and_complete_quarters_only(ds, owner, vendors):
    added = fleet.additions(ds, "h100e", owner=owner)
    assert set(added["vendor"]) == vendors
    rows = ds["epoch_fleet"].query("owner == @owner and measure == 'h100e'")
    incomplete = set(rows.loc[rows["incomplete"] == "true", "quarter"] + rows.loc[rows["incomplete"] == "true", "vendor"])
    assert incomplete and not incomplete & set(added["quarter"] + added["vendor"])


def test_nvidia_spend_of_an_owner_is_units_times_epochs_price_by_hand(ds):
    years = fleet.owner_years(ds, "Microsoft").set_index(["year", "vendor"])
    rows = ds["epoch_fleet"].query("owner == 'Microsoft' and measure == 'units' and vendor == 'Nvidia' "
                                   "and quarter.str.startswith('2024')").groupby("chip")["median"].sum()
    prices = ds["accelerator_specs"].query("metric == 'price' and source_id == 'epoch-ai-chip-counts' and as_of == '2024'")
    price = prices.set_index("chip_id")["value"]
    chip_of = {"A100": "a100-sxm-80", "H100/H200": "h100-sxm", "B200": "b200", "B300": "b300"}
    expected = sum(units * price[chip_of[chip]] for chip, units in rows.items())
    assert years.loc[(2024, "Nvidia"), "spend_usd_median"] == pytest.approx(expected)
    assert years.loc[(2024, "Nvidia"), "units_median"] == rows.sum()
    assert math.isnan(years.loc[(2024, "AMD"), "spend_usd_median"])          # Epoch prices no AMD chip
    assert years.loc[(2024, "AMD"), "h100e_median"] > 0


def test_google_tpus_are_not_priced_at_the_trainium_cost(ds):
    google = fleet.owner_years(ds, "Google", trainium_unit_cost_usd=4000.0).set_index(["year", "vendor"])
    assert math.isnan(google.loc[(2025, "Google"), "spend_usd_median"]) and google.loc[(2025, "Google"), "h100e_median"] > 0
    amazon = fleet.owner_years(ds, trainium_unit_cost_usd=4000.0).set_index(["year", "vendor"])
    trn = fleet.chip_additions(ds, "units").query("vendor == 'Amazon' and quarter.str.startswith('2025')")["median"].sum()
    assert amazon.loc[(2025, "Amazon"), "spend_usd_median"] == pytest.approx(4000.0 * trn)
    assert set(fleet.unit_prices(ds, 4000.0)["chip"]) == {"A100", "H100/H200", "B200", "B300", "Trainium1", "Trainium2"}


def test_owner_years_match_the_functions_amazons_report_uses(ds):
    years = fleet.owner_years(ds, trainium_unit_cost_usd=4000.0)
    spend = fleet.yearly(fleet.spend_by_chip(fleet.chip_additions(ds, "units"), fleet.unit_prices(ds, 4000.0)))
    merged = years.merge(spend, on=["year", "vendor"])
    assert len(merged) == len(years)
    pd.testing.assert_series_equal(merged["spend_usd_median"], merged["median"], check_names=False)
