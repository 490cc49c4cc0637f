"""The horizons are data (issue 29): the windows, result keys, periods and prose follow the data's last observed year
with no code change, and no year is typed in analysis/ outside comments and docstrings (an allow-list, each entry
with its reason).

The data cannot credibly move one year on: 2026 is not a complete observed year (Epoch AI's 2026Q1 is marked
incomplete and Amazon's 2026 capex is reported to Q2 only), and inventing four quarters of Epoch's estimates and
Amazon's capex, even marked as test rows, would test made-up numbers. The test moves the horizon one year back
instead: a copy of data/ whose `observed_through` default (the last year the forecast takes as observed, which the
windows follow) is 2024. Its maximum stays 2025, the data's last observed year: removing 2025 from every table
(Epoch's quarters and cumulative totals, the filings, prices, cross-checks, events) is a different data set, and what
happened (section 0's observed figures, the hindcast's outcomes) reads every observed year whatever the default.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analysis import data
from analysis.data import params
from analysis.models import hindcast, outlook
from analysis.models.horizons import Horizons, horizons, thresholds
from analysis.pipeline import front
from analysis.sections import erosion_text, summary
from tests.conftest import run_cli
from tests.source_scan import check_allow_list, code_constants, data_with_parameter

YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
#: The year literals analysis/ may hold: (file, the literal, why it is not a horizon).
ALLOWED = {
    ("analysis/data/params.py", "a calendar quarter YYYYQn, e.g. 2023Q3"): "an example in a message",
    ("analysis/data/releases.py", ": a version is lower-case letters, digits, '.', '_' or '-' (at most 64, e.g. "
                                  "2026.12), not a path"): "an example in a message",
    ("analysis/pipeline/cli.py", "release name, e.g. 2026.12 (lower-case, digits, . _ -)"): "an example in --help",
    ("analysis/pipeline/cli.py", "mark the release as reconstructed after the fact (e.g. the essay's early-2024 view)"):
        "an example in --help",
    ("analysis/data/scenarios.py", "a base-60 number in YAML 1.1 (33:45 = 2025)"): "an example in a message",
    ("analysis/data/tables.py", "period_end must fall in the fiscal year (FY2015 ends in 2015; a quarter in it or the "
                                "year before)"): "an example in a message",
    ("analysis/data/scenarios.py", "essay-2024"): "the name of a file in scenarios/ (and of the locked release)",
    ("analysis/data/tables.py", "2024-02"): "events.csv holds what happened since the essay appeared (February 2024): "
                                            "the file's definition, checked on load",
    ("analysis/data/tables.py", "events start in February 2024"): "the message of that check",
    ("analysis/data/tables.py", 2000): "a plausibility bound of capex_outlook.csv's years, not a horizon",
    ("analysis/errors.py", "[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]"): "Unicode escapes (U+2028, U+2029), not years",
    ("analysis/models/capex.py", "aws-capex-q3-2023"): "a claim id of data/essay_claims.csv",
    ("analysis/models/capex.py", "aws-ai-capex-q3-2023"): "a claim id of data/essay_claims.csv",
    ("analysis/models/hub.py", "https://json-schema.org/draft/2020-12/schema"): "the JSON Schema version's address",
    ("analysis/models/rent.py", 1970): "the epoch of pandas' monthly ordinals",
    ("analysis/pipeline/workbook.py", 1980): "the earliest date a zip archive can hold (a fixed timestamp)",
    ("analysis/pipeline/track.py", "early_2024"): "the track page's question about the essay's time (a fixed date "
                                                 "in history), a key of track.json",
    ("analysis/sections/owner_view.py", "` in data/financials.csv. AWS's segment, the essay's Q3-2023 claim and the "
                                        "funnel to megawatts and rent are Amazon's: they are not shown."):
        "the essay's own claim (a fixed quarter in history)",
    ("analysis/sections/portfolio_text.py", " off (a 2021 one-year rate) are the ceiling."):
        "the date of the archived rate that sources committed_discount (data/parameters.csv)",
}


def year_literals(source: str) -> list[tuple[int, object]]:
    """Each int from 1900 to 2099 and each string holding such a year in a module's code (not its comments or
    docstrings), with its line."""
    return [(node.lineno, node.value) for node in code_constants(source)
            if (isinstance(node.value, int) and 1900 <= node.value <= 2099)
            or (isinstance(node.value, str) and YEAR.search(node.value))]


def test_no_year_is_typed_in_the_code_outside_the_allow_list():
    check_allow_list(year_literals, ALLOWED, "a year typed in code (take it from the data, or allow it with a reason)")


def test_the_scan_finds_a_year_in_code_and_not_in_a_docstring_or_comment(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('"""Forecast to 2030."""\nEND = 2030  # to 2030\n\n\ndef f():\n    """In 2027."""\n'
                      '    return f"total {END} of 2027_2030", "2026-02", 1899, 2100, True\n', encoding="utf-8")
    assert sorted(map(repr, (value for _, value in year_literals(module.read_text(encoding="utf-8"))))) == sorted(
        map(repr, [2030, "2026-02", " of 2027_2030"]))


def test_the_windows_follow_the_last_observed_year_and_the_horizons_end():
    h = Horizons(2025, 2030)
    assert (h.near, h.long, h.forecast, h.whole) == ((2024, 2026), (2027, 2030), (2026, 2030), (2024, 2030))
    assert h.probability_years == (2026, 2027, 2030)
    back = Horizons(2024, 2030)
    assert (back.near, back.long, back.forecast) == ((2023, 2025), (2026, 2030), (2025, 2030))
    with pytest.raises(ValueError, match="no long-term year"):
        Horizons(2029, 2030)


def test_the_dataset_gives_its_horizons(ds, schema):
    outlook_years = ds["capex_outlook"].query("vintage == @schema['capex_outlook_vintage'].default")["year"]
    assert horizons(ds) == Horizons(int(schema["observed_through"].default), int(outlook_years.max()))


def _one_year_back(target: Path) -> Path:
    """A copy of data/ whose forecast starts one year earlier (`observed_through`'s default one year back)."""
    def back(row: dict[str, str]) -> None:
        row["default"] = str(int(row["default"]) - 1)
    return data_with_parameter(target, "observed_through", back)


@pytest.fixture(scope="module")
def back(tmp_path_factory) -> data.Dataset:
    return data.load_dataset(_one_year_back(tmp_path_factory.mktemp("horizons") / "data"))


def test_one_year_back_the_forecast_keys_periods_and_words_follow(ds, schema, back):
    quick = {"mc_draws": 2000}
    now = outlook.run(ds, params.resolve(quick, ds), schema, sensitivity=False)
    then_schema = params.schema(back)
    then_p = params.resolve(quick, back)
    then = outlook.run(back, then_p, then_schema, sensitivity=False)
    assert then.horizons == Horizons(2024, 2030) and now.horizons == Horizons(2025, 2030)
    assert then.model.forecast_years == (2025, 2026, 2027, 2028, 2029, 2030)
    heads_now = {h.key: h for h in erosion_text.headlines(now)}
    heads = {h.key: h for h in erosion_text.headlines(then)}
    assert set(heads) == set(heads_now)                                 # the same keys: a key names a role
    assert heads["nvidia_revenue_near_term"].period == (2023, 2025)
    assert heads["asic_share_of_spend_long_term"].period == (2026, 2030)
    assert heads["nvidia_revenue_long_term"].label == "Nvidia revenue from AWS, total 2026-2030"
    assert heads["nvidia_revenue_long_term"].value != heads_now["nvidia_revenue_long_term"].value
    central = erosion_text.central_text(then)
    assert "in 2023–2025" in central and "in 2026–2030" in central and "2027–2030" not in central
    # Section 0's findings and words: what happened still reads every observed year; the outlook is 2026-2030.
    findings = summary.key_findings(back, then_p, then_schema, then).items
    by_key = {f.key: f.as_dict() for f in findings}
    assert by_key["nvidia_revenue_observed_last"]["period"] == [2025, 2025]
    assert by_key["nvidia_revenue_long_term"]["period"] == [2026, 2030]
    assert by_key["p_asic_above_25pct_end"]["period"] == [2030, 2030]
    said = summary.compute_answer(back, then_p, then_schema, then).verdict
    words = summary.answer(back, findings, said)
    assert "in 2026–2030 at" in words
    numbers = front.key_numbers({"summary": by_key}, thresholds(back))
    assert [n.period for n in numbers] == ["in 2025", "in 2025", "total 2026–30", "2030 vs 2025", "in 2030"]
    labels = erosion_text.scenario_labels(then.horizons, then.levels)
    assert labels["nvidia_revenue_2023_2025"] == "Nvidia revenue, total 2023-25"
    assert {t for t, _ in then.thresholds.groupby("threshold")} == set(thresholds(back).shares)
    assert hindcast.origin_years(back, then_schema) == hindcast.origin_years(ds, schema)   # the data's, not a run's


@pytest.mark.build
def test_one_year_back_builds_with_no_code_change(tmp_path, built):
    """The report built on the moved data: the same result keys as the default build, periods one year back, the
    first screen's periods and the answer's words from them."""
    moved = _one_year_back(tmp_path / "data")
    out = tmp_path / "report"
    done = run_cli("--data-dir", str(moved), "run", "--out", str(out),
                   env={"ANALYSIS_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    default = json.loads((built / "results.json").read_text(encoding="utf-8"))
    for section in ("summary", "erosion", "drivers"):
        assert set(results["results"][section]) == set(default["results"][section]), section
    erosion = results["results"]["erosion"]
    assert erosion["nvidia_revenue_near_term"]["period"] == [2023, 2025]
    assert erosion["nvidia_revenue_long_term"]["period"] == [2026, 2030]
    assert results["results"]["summary"]["nvidia_revenue_long_term"]["period"] == [2026, 2030]
    assert results["parameters"]["observed_through"] == 2024
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "total 2026–30" in page and "in 2026–2030 at" in page and "in 2023–2025" in page
