"""reports/NAME/report.xlsx: one sheet per table, numbers as numbers with units in the headers, text never a formula,
and every headline number equal to results.json's."""
from __future__ import annotations

import json
import math
import time

import openpyxl
import pandas as pd
import pytest

from analysis.pipeline import workbook
from analysis.data import params

SHEETS = ["Headline numbers", "Forecast by year", "Scenarios", "Landlord cases", "Parameters"]


@pytest.mark.build
def test_the_workbook_holds_every_headline_number_of_results_json(built):
    results = json.loads((built / "results.json").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(built / "report.xlsx")
    assert book.sheetnames == SHEETS
    headlines = pd.read_excel(built / "report.xlsx", sheet_name="Headline numbers", engine="openpyxl")
    shown = {(r["Section"], r["Key"]): r for r in headlines.to_dict("records")}
    expected = [(s, k, r) for s, items in results["results"].items() for k, r in items.items()]
    assert len(shown) == len(expected) > 100
    for section, key, r in expected:
        row = shown[(section, key)]
        for column, field in (("Value", "value"), ("5th percentile", "p5"), ("95th percentile", "p95")):
            want = r.get(field)
            if isinstance(want, (int, float)) and not isinstance(want, bool):
                assert row[column] == pytest.approx(want, rel=1e-12), (section, key, column)
            elif want is None:
                assert row[column] is None or (isinstance(row[column], float) and math.isnan(row[column]))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]                        # no formula anywhere
    numbers = book["Headline numbers"]["E"][1:]
    assert sum(isinstance(c.value, (int, float)) for c in numbers) > 100       # numbers are numbers, not text
    forecast = [c.value for c in book["Forecast by year"][1]]
    assert "nvidia_revenue_usd_b (USD bn)" in forecast and "asic_spend_share (share (0-1))" in forecast
    landlord = [[c.value for c in row] for row in book["Landlord cases"].iter_rows()]
    npv_label = results["results"]["portfolio"]["npv_bought_at_launch"]["label"].split(", bought")[0]
    npv = next(r for r in landlord if r[0] == npv_label)
    assert npv[2] == results["results"]["portfolio"]["npv_bought_at_launch"]["value"]
    parameters = {r[0]: r for r in book["Parameters"].iter_rows(min_row=2, values_only=True)}
    assert set(parameters) == set(results["parameters"]) and all(r[10] and r[11] for r in parameters.values())


def test_a_text_that_looks_like_a_formula_stays_text(tmp_path, ds):
    path = tmp_path / "w.xlsx"
    hostile = {"capex": {"x": {"label": "=HYPERLINK(\"http://evil\")", "unit": "USD", "value": "=1+1"}}}
    workbook.write(path, hostile, [], ds, params.schema(ds), params.resolve({}, ds), [])
    sheet = openpyxl.load_workbook(path)["Headline numbers"]
    assert [c.value for c in sheet[2]][2:5] == ["=HYPERLINK(\"http://evil\")", "USD", "=1+1"]
    assert {c.data_type for c in sheet[2] if c.value is not None} == {"s"}
    again = tmp_path / "again.xlsx"
    time.sleep(1.1)                             # openpyxl stamps the time of saving, to the second
    workbook.write(again, hostile, [], ds, params.schema(ds), params.resolve({}, ds), [])
    assert again.read_bytes() == path.read_bytes()                               # the same input, the same bytes
