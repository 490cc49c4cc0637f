"""Notebook outputs: chart bundles (Vega-Lite v5 + PNG + description), chart data, tables for readers, data tables."""
from __future__ import annotations

import base64
import copy
import csv
import io
import json

import altair as alt
import nbformat
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from analysis.pipeline import page, report
from analysis.pipeline.runner import notebook_paths
from analysis.views import chart_text, images, present
from tests.conftest import ROOT


@pytest.fixture
def shown(monkeypatch):
    """Everything the present module displays, in order."""
    outputs = []
    monkeypatch.setattr(present, "display", lambda obj, raw=False: outputs.append(obj))
    return outputs


def _shares() -> pd.DataFrame:
    return pd.DataFrame({"year": [2024, 2025, 2026, 2024, 2025, 2026], "vendor": ["A"] * 3 + ["B"] * 3,
                         "share": [0.125, 0.25, 0.5, 0.875, 0.75, 0.5]})


def _line(frame: pd.DataFrame) -> alt.Chart:
    return alt.Chart(frame, title=alt.TitleParams("Shares", subtitle=["Source: test"])).mark_line().encode(
        x=alt.X("year:O", title="Calendar year"), y=alt.Y("share:Q", title="Share of spend", axis=alt.Axis(format=".0%")),
        color=alt.Color("vendor:N", title=None))


def test_chart_bundle_is_standard_vega_lite_with_a_png_and_a_description(monkeypatch):
    monkeypatch.setenv(images.STATIC_IMAGES_ENV, "on")
    bundle = present.chart_bundle(_line(_shares()))
    spec = bundle[present.VEGALITE_MIMETYPE]
    assert set(bundle) == {"application/vnd.vegalite.v5+json", "image/png", present.EXHIBIT_MIMETYPE, "text/plain"}
    assert bundle[present.EXHIBIT_MIMETYPE] == {"headline": False}
    assert spec["$schema"].endswith("/vega-lite/v5.json")
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x", outputs=[nbformat.v4.new_output("display_data", data=bundle)])]))
    image = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    assert image.format == "PNG" and min(image.size) > 100
    assert present.chart_bundle(_line(_shares()))["image/png"] == bundle["image/png"]     # deterministic bytes
    assert spec["description"] in bundle["text/plain"] and "Shares" in bundle["text/plain"]
    monkeypatch.setenv(images.STATIC_IMAGES_ENV, "off")      # a report build's kernels: the same, without the PNG
    plain = present.chart_bundle(_line(_shares()))
    assert plain == {k: v for k, v in bundle.items() if k != "image/png"}
    assert present.emitted(nbformat.v4.new_output("display_data", data=plain))


def test_description_states_axes_ranges_series_and_source():
    frame = _shares()
    text = present.chart_bundle(_line(frame))[present.VEGALITE_MIMETYPE]["description"]
    low, high = f"{frame['share'].min():.0%}", f"{frame['share'].max():.0%}"
    assert text.startswith(f"Shares. Line chart of Share of spend ({low} to {high}) by Calendar year (2024 to 2026)")
    assert ". Series: A, B." in text and text.endswith("Source: test.")
    written = present.chart_bundle(_line(frame), description="B overtakes A.")[present.VEGALITE_MIMETYPE]["description"]
    assert written == "B overtakes A. " + text


def test_description_reads_years_plainly_and_separates_values_that_hold_commas():
    frame = pd.DataFrame({"year": [2023.25, 2026], "usd": [1.5, 2500], "case": ["bought, launch", "bought, cut"]})
    text = chart_text.describe(alt.Chart(frame).mark_line().encode(x="year:Q", y="usd:Q", color="case:N").to_dict())
    assert text == "Line chart of usd (1.5 to 2500) by year (2023.2 to 2026). Series: case (bought, launch; bought, cut)."


def test_chart_data_is_the_plotted_rows_with_a_layer_column_for_several_datasets():
    frame = _shares()
    spec = _line(frame).to_dict()
    columns, rows = chart_text.chart_data(spec)
    assert pd.DataFrame(rows, columns=columns)[list(frame.columns)].equals(frame)
    rule = alt.Chart(pd.DataFrame({"y": [0.6]})).mark_rule().encode(y="y:Q")
    columns, rows = chart_text.chart_data(alt.layer(_line(frame), rule).to_dict())
    assert columns[0] == "layer" and len(rows) == len(frame) + 1
    assert [r[0] for r in rows] == ["line 1"] * len(frame) + ["rule 2"]


def test_table_shows_yes_no_and_unit_labels(shown):
    frame = pd.DataFrame({"quantity": ["capex", "share"], "value": [1.5, 0.25], "unit": ["USD_billion", "fraction"],
                          "inside": [True, np.False_]})
    present.table(frame, {"value": "row"}, {"inside": "Inside?"})
    html = shown[0]["text/html"]
    assert "$1.5B" in html and "25.0%" in html
    assert ">yes<" in html and ">no<" in html and "True" not in html and "False" not in html
    assert ">USD bn<" in html and "USD_billion" not in html and ">share (0-1)<" in html


def test_fmt_uses_unit_labels_for_units_without_a_format():
    assert present.fmt(0.0892, "USD_per_kWh") == "0.0892 USD/kWh"
    assert present.fmt(True, "fraction") == "yes"


def test_publish_table_carries_rows_and_rejects_bad_names(shown):
    frame = pd.DataFrame({"year": np.array([2024, 2025]), "erosion": [1.25, np.nan]})
    present.publish_table("erosion_by_year", frame, "Erosion per year.")
    payload = shown[0][present.TABLE_MIMETYPE]
    assert payload["columns"] == ["year", "erosion"] and payload["rows"] == [[2024, 1.25], [2025, None]]
    assert type(payload["rows"][0][0]) is int and payload["title"] == "Erosion by year"
    with pytest.raises(ValueError, match="Bad Name"):
        present.publish_table("Bad Name", frame, "x")



def test_publish_table_gives_every_kind_of_column_as_json_values(shown):
    """Each dtype a section publishes, and the others a frame can hold, against the rule spelled out with pandas
    over the whole frame: a missing or infinite number is None, numpy scalars are Python's, timestamps ISO text;
    a repeated column name keeps both columns."""
    frame = pd.DataFrame({
        "float": [1.5, np.nan, np.inf, -np.inf], "int": np.array([1, 2, 3, 4]), "bool": [True, False, True, False],
        "nullable": pd.array([1, None, 3, 4], dtype="Int64"), "text": pd.array(["a", None, "c", "d"], dtype="str"),
        "when": pd.to_datetime(["2024-01-01", None, "2025-06-30", "2026-12-31"]),
        "mixed": [np.float64(2.5), np.inf, None, "x"], "small": np.array([0.5, np.nan, 1.0, 2.0], dtype=np.float32)})
    frame.columns = [*frame.columns[:-1], "float"]          # a name given twice
    present.publish_table("kinds", frame, "Every kind.")
    finite = frame.apply(lambda c: c.notna() & ~c.isin([np.inf, -np.inf]))
    expected = [[present._plain(v) for v in row] for row in frame.astype(object).where(finite, None).itertuples(index=False)]
    rows = shown[0][present.TABLE_MIMETYPE]["rows"]
    assert rows == expected and [[type(v) for v in r] for r in rows] == [[type(v) for v in r] for r in expected]
    assert rows[1] == [None, 2, False, None, None, None, None, None] and rows[0][5] == "2024-01-01T00:00:00"
    assert json.dumps(rows, allow_nan=False)
    present.publish_table("empty", frame.iloc[:0], "No rows.")
    present.publish_table("no_columns", frame.iloc[:, :0], "No columns.")
    assert shown[1][present.TABLE_MIMETYPE]["rows"] == [] and shown[2][present.TABLE_MIMETYPE]["rows"] == [[]] * 4



@pytest.mark.parametrize("names, columns", [
    (["Verdict", "Claims"], [["supported", "partly supported"], ["15", "12"]]),
    (["a", "long heading over here"], [["x", "yy"], ["1", "22"]]),
    (["a" * 60, "b"], [["x" * 70, "y"], ["z", "w" * 49]]),          # wider than display.max_colwidth: not cut
    (["n"], [["é×–", "日本"]]), (["a", "a"], [["1"], ["2"]]), (["x"], [[""]]), ([""], [["v"]]),
    (["a", "b"], [["n/a", " lead"], ["trail ", "mid dle"]]),
    (["a"], [[]]), ([], []), (["t"], [["a\tb", "c\nd"]]), ([1, "b"], [["x"], ["y"]]),      # to pandas itself
])
def test_a_tables_text_is_pandas_to_string(names, columns):
    expected = pd.DataFrame(dict(enumerate(columns))).set_axis(names, axis=1).to_string(index=False)
    assert present.text_table(names, columns) == expected
    with pd.option_context("display.colheader_justify", "left"):
        left = pd.DataFrame(dict(enumerate(columns))).set_axis(names, axis=1).to_string(index=False)
        assert present.text_table(names, columns) == left


def test_report_writes_a_csv_per_chart_and_table_and_an_index(tmp_path, shown):
    present.show_chart(_line(_shares()))
    present.show_chart(_line(_shares()))                          # the same title twice: ids stay unique
    present.publish_table("erosion_by_year", pd.DataFrame({"year": [2024], "erosion": [1.5]}), "Erosion per year.")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data=out) for out in shown])])
    downloads = []
    body = report.render_notebook(nb, "00_test", [], [], downloads)
    page.write_downloads(downloads, tmp_path / "data")
    index = list(csv.DictReader((tmp_path / "data" / "index.csv").open(encoding="utf-8")))
    assert [r["file"] for r in index] == ["data/shares.csv", "data/shares-2.csv", "data/erosion_by_year.csv"]
    assert all(f'href="{r["file"]}"' in body for r in index)
    assert (tmp_path / "data" / "erosion_by_year.csv").read_text(encoding="utf-8") == "year,erosion\n2024,1.5\n"
    plotted = pd.read_csv(tmp_path / "data" / "shares.csv")
    assert plotted[["year", "vendor", "share"]].equals(_shares())
    assert index[0]["description"] == shown[0][present.VEGALITE_MIMETYPE]["description"]


def test_png_bytes_depend_on_the_pixels_only_not_on_palette_order():
    """nbval skips image/png, so this is where image determinism is checked: the same pixels through a palette in
    another order (as the quantizer returned them in two builds) give the same PNG bytes."""
    png = images.render_png(present.chart_spec(_line(_shares())))
    image = Image.open(io.BytesIO(png))
    palette = np.array(image.getpalette(rawmode="RGB")).reshape(-1, 3)
    alpha = np.frombuffer(image.info["transparency"], dtype=np.uint8)
    order = np.arange(len(alpha))[::-1]                                     # the same colours, reversed
    shuffled = Image.fromarray(np.argsort(order).astype(np.uint8)[np.asarray(image)], mode="P")
    shuffled.putpalette(palette[order].astype(np.uint8).tobytes(), rawmode="RGB")
    shuffled.info["transparency"] = alpha[order].tobytes()
    assert np.array_equal(np.asarray(shuffled.convert("RGBA")), np.asarray(image.convert("RGBA")))
    assert images.palette_png(shuffled) == png
    assert images.render_png(present.chart_spec(_line(_shares()))) == png       # and a second render is the same bytes


@pytest.mark.command
def test_chart_images_are_the_same_bytes_in_a_fresh_process():
    """A chart rendered in another Python process (as each build's kernels are) gives the same PNG bytes."""
    import hashlib
    import subprocess
    import sys
    script = ("import hashlib, sys; from tests.test_present import _line, _shares; from analysis.views import images, present; "
              "sys.stdout.write(hashlib.sha256(images.render_png(present.chart_spec(_line(_shares())))).hexdigest())")
    there = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    here = hashlib.sha256(images.render_png(present.chart_spec(_line(_shares())))).hexdigest()
    assert there == here


def test_payback_reads_not_within_life_when_not_before_the_end_of_the_life():
    assert present.payback_text(71.0, 6) == present.fmt(71.0, "months")
    assert present.payback_text(72.0, 6) == present.payback_text(float("nan"), 6) == "not within life"


def test_prose_is_html_that_mathjax_skips_and_markdown_with_escaped_dollars(shown):
    present.say("From $3.2B ($2.4B–$4.3B) to *more*.")
    html, markdown = shown[0]["text/html"], shown[0]["text/markdown"]
    assert markdown == "From \\$3.2B (\\$2.4B–\\$4.3B) to *more*."
    assert html == f'<div class="{present.NO_MATHS}"><p>From $3.2B ($2.4B–$4.3B) to <em>more</em>.</p>\n</div>'


def test_every_output_of_the_committed_notebooks_is_one_the_builder_emits():
    """The report and the execution cache keep only outputs `present.emitted` accepts: every output the notebooks
    really produce must pass, or the page would silently lose it."""
    import nbformat

    from analysis.views.present import emitted
    outputs = [o for path in notebook_paths() for c in nbformat.read(str(path), as_version=4).cells for o in c.get("outputs", [])]
    assert len(outputs) > 50 and all(emitted(o) for o in outputs)


def _without_own_additions(spec: dict) -> dict:
    """A shown chart's spec as altair wrote it: without the `$schema` of the mimetype and the legend `encode` that
    `present` adds (DASH_SWATCH; Vega-Lite compiles it, altair's schema has no such property)."""
    spec = copy.deepcopy(spec)
    del spec["$schema"]
    for view in [spec, *spec.get("layer", [])]:
        legend = view.get("encoding", {}).get("strokeDash", {}).get("legend") or {}
        if legend.get("encode") == present.DASH_SWATCH:
            del legend["encode"]
    return spec


def test_every_chart_the_notebooks_show_is_valid_vega_lite():
    """`chart_spec` skips altair's validation (half a chart's cost in a build); this is where every chart the
    committed notebooks show — which strict nbval proves the code still draws — is validated against altair's
    Vega-Lite schema, and a broken spec is seen to fail."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema.core import load_schema
    from jsonschema import ValidationError
    schema = load_schema()
    specs = [output.data[present.VEGALITE_MIMETYPE] for path in notebook_paths()
             for cell in nbformat.read(str(path), as_version=4).cells for output in cell.get("outputs", [])
             if present.VEGALITE_MIMETYPE in output.get("data", {})]
    assert len(specs) >= 25
    for spec in specs:
        validate_jsonschema(_without_own_additions(spec), schema, rootschema=schema)
    broken = {**_without_own_additions(specs[0]), "mark": "no such mark"}
    with pytest.raises(ValidationError):
        validate_jsonschema(broken, schema, rootschema=schema)


def _altair_default(chart) -> str:
    return json.dumps(chart.to_dict(validate=False), sort_keys=True)


def test_the_charts_data_are_altairs_own_values_for_every_chart_the_sections_draw(monkeypatch, ds):
    """`chart_data.values` replaces altair's default data transformer in `chart_spec` for speed: every chart the
    sections draw (the report's owner and another, whose sections differ) converts to the spec altair's default
    gives, through the fast path."""
    from analysis.sections import SECTIONS
    from analysis.views import chart_data
    from analysis.views.exhibits import show
    charts = []
    monkeypatch.setattr(present, "display", lambda obj, raw=False: None)
    spec_of = present.chart_spec
    monkeypatch.setattr(present, "chart_spec", lambda chart, description=None: (charts.append(chart),
                                                                                spec_of(chart, description))[1])
    for values in ({}, {"owner": "google"}):
        for section in SECTIONS.values():
            if set(values) <= set(section.parameter_names(ds)):
                result = section.run(values, {})
                for part in result.parts:
                    show(result[part])
    frames = [d for c in charts for d in (c.data, *(layer.data for layer in getattr(c, "layer", [])))
              if isinstance(d, pd.DataFrame)]
    assert len(charts) >= 30 and all(chart_data._records(f) is not None for f in frames)
    for chart in charts:
        assert json.dumps(chart_data.to_dict(chart), sort_keys=True) == _altair_default(chart)


def test_chart_data_hands_other_frames_to_altair_and_converts_missing_values_as_it_does():
    from altair.utils.data import MaxRowsError
    from analysis.views import chart_data
    mixed = pd.DataFrame({"x": [1.5, np.nan, np.inf, -0.0], "n": [1, 2, 3, 4], "ok": [True, False, True, False],
                          "label": pd.Series(["a", None, "c", "d"], dtype="str"),
                          "text": pd.Series(["a", pd.NA, "c", "d"], dtype="string")})
    when = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2025-06-30"]), "v": [1.0, 2.0]})
    for frame in (mixed, when, pd.DataFrame({"o": [[1, 2], None]})):
        chart = alt.Chart(frame).mark_point().encode(x=f"{frame.columns[0]}:Q")
        assert json.dumps(chart_data.to_dict(chart), sort_keys=True) == _altair_default(chart)
    assert chart_data._records(mixed) is not None and chart_data._records(when) is None
    with pytest.raises(ValueError, match="Column names must be strings"):
        chart_data.values(pd.DataFrame({0: [1.0]}))
    assert chart_data.values(mixed)["values"][1] == {"x": None, "n": 2, "ok": False, "label": None, "text": None}
    with pytest.raises(MaxRowsError):
        chart_data.values(pd.DataFrame({"v": np.arange(chart_data.MAX_ROWS + 1.0)}))
