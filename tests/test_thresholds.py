"""The report's thresholds are data (issue 29): the two ASIC shares of spend whose passing the report reads and the
verdict's second revenue level are rows of data/parameters.csv (analysis.models.horizons.thresholds), never typed in
analysis/ (a source scan with an allow-list, each entry with its reason), and one edit of a row moves the
probabilities, the result keys that name a threshold in percent, and the prose, with no code change (a copy of data/
whose lower threshold is 0.30, computed in-process)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis import data
from analysis.data import params
from analysis.models import forecast_result, observed_checks, outlook
from analysis.models.horizons import THRESHOLD_PARAMETERS, thresholds
from analysis.pipeline import front
from analysis.sections import SECTIONS, erosion_text, summary
from analysis.views import verdict
from tests.source_scan import check_allow_list, code_constants, data_with_parameter

#: The data's thresholds as numbers (0.25, 0.5) ...
NUMBERS = {0.25, 0.5}
#: ... and as the words and keys that name them: "> 25%", "above 50%", "more than 25%", "_25pct".
TEXT = re.compile(r"(?:>|above|more than|exceeds|below)\s*(?:25|50)%|(?:25|50)pct")
#: What may still hold such a literal: (file, literal) -> why it is not the report's threshold.
ALLOWED = {
    ("analysis/models/forecasts.py", 0.25): "a quantile level of a hub release (QUANTILE_LEVELS, INTERVALS), not a "
                                            "threshold",
    ("analysis/models/forecasts.py", 0.5): "the median's quantile level of a hub release, not a threshold",
    ("analysis/models/forecasts.py", "asic_share_of_spend_above_25pct"):
        "a binary target of the locked hub releases in forecasts/ (its name and threshold are the release format's, "
        "fixed when the release was locked)",
    ("analysis/models/forecasts.py", "asic_share_of_spend_above_50pct"): "the same, the upper binary target",
    ("analysis/models/hub.py", "asic_share_of_spend_above_25pct"): "the plain name of that locked binary target",
    ("analysis/models/hub.py", "asic_share_of_spend_above_50pct"): "the plain name of that locked binary target",
    ("analysis/models/hub.py", "above 25%"): "the plain words of that locked binary target",
    ("analysis/models/hub.py", "above 50%"): "the plain words of that locked binary target",
    ("analysis/models/erosion.py", 0.5): "mid-year (t = year + 0.5) and a logistic's start fraction, not a threshold",
    ("analysis/models/sobol.py", 0.5): "Saltelli's estimator and a normal quantile, not a threshold",
    ("analysis/models/scoring.py", 0.5): "the interval score's weight of the median, not a threshold",
    ("analysis/models/irr.py", 0.5): "the bracketing search's step factor, not a threshold",
    ("analysis/models/hindcast.py", 0.5): "the midpoints of fixed normal quantiles, not a threshold",
    ("analysis/models/landlord.py", 0.5): "mid-month in a fractional year, not a threshold",
    ("analysis/models/rent.py", 0.5): "mid-month in a fractional year, not a threshold",
    ("analysis/views/charts.py", 0.5): "half a year either side of a year on a chart's axis, not a threshold",
    ("analysis/pipeline/sweep.py", 0.5): "a chart mark's opacity, not a threshold",
    ("analysis/sections/capex.py", 0.25): "the low end of the essay's AI share of capex shown in a sensitivity grid",
}


def threshold_literals(source: str) -> list[tuple[int, object]]:
    """Each 0.25 or 0.5 and each string naming 25% or 50% as a threshold in a module's code (not its comments or
    docstrings), with its line; for a string, the match."""
    found: list[tuple[int, object]] = []
    for node in code_constants(source):
        if isinstance(node.value, float) and node.value in NUMBERS:
            found.append((node.lineno, node.value))
        elif isinstance(node.value, str):
            found += [(node.lineno, node.value if m.group(0).endswith("pct") and node.value.isidentifier()
                       else m.group(0)) for m in TEXT.finditer(node.value)]
    return found


def test_no_threshold_is_typed_in_the_code_outside_the_allow_list():
    check_allow_list(threshold_literals, ALLOWED, "a threshold typed in code (read it from "
                     "analysis.models.horizons.thresholds, or allow it with a reason)")


def test_the_scan_finds_a_threshold_in_code_and_not_in_a_docstring_or_an_interval():
    source = ('"""Above 25% of the spend."""\nTHRESHOLDS = (0.25, 0.50)\n\n\ndef f():\n    """P(> 50%)."""\n'
              '    return "P(share > 25%)", "p_asic_above_50pct_end", "the central 50% interval", 0.75\n')
    assert sorted(map(repr, (value for _, value in threshold_literals(source)))) == sorted(
        map(repr, [0.25, 0.5, "> 25%", "p_asic_above_50pct_end"]))


def _lower_threshold_at(target: Path, value: str) -> Path:
    """A copy of data/ whose lower ASIC share threshold is `value` (its default, min and max: one row edited)."""
    def edit(row: dict[str, str]) -> None:
        row["default"] = row["min"] = row["max"] = value
    return data_with_parameter(target, THRESHOLD_PARAMETERS[0], edit)


@pytest.fixture(scope="module")
def moved(tmp_path_factory) -> data.Dataset:
    return data.load_dataset(_lower_threshold_at(tmp_path_factory.mktemp("thresholds") / "data", "0.3"))


QUICK = {"mc_draws": 2000}


def test_the_dataset_gives_its_thresholds_from_their_rows(ds, schema):
    levels = thresholds(ds)
    assert [t.parameter for t in (levels.lower, levels.upper, levels.revenue_level)] == list(THRESHOLD_PARAMETERS)
    assert [t.value for t in (levels.lower, levels.upper, levels.revenue_level)] == [
        schema[name].default for name in THRESHOLD_PARAMETERS]
    assert all(schema[name].confidence == "assumption" and schema[name].per_dataset for name in THRESHOLD_PARAMETERS)
    with pytest.raises(Exception, match=THRESHOLD_PARAMETERS[0]):      # a run cannot set another value
        params.resolve({THRESHOLD_PARAMETERS[0]: 0.3}, ds)


def test_one_edit_of_the_lower_threshold_moves_probabilities_keys_and_prose(ds, schema, moved):
    now = outlook.run(ds, params.resolve(QUICK, ds), schema, sensitivity=False)
    moved_schema, moved_p = params.schema(moved), params.resolve(QUICK, moved)
    then = outlook.run(moved, moved_p, moved_schema, sensitivity=False)
    assert then.levels.shares == (0.3, 0.5) and now.levels.shares == (0.25, 0.5)
    end, years = then.model.years[-1], then.model.forecast_years
    # The probabilities: over the same draws, P(> 30%) is at most P(> 25%) every year and below it in some; P(> 50%)
    # is unchanged.
    p_now = now.thresholds.set_index(["threshold", "year"])["probability"]
    p_then = then.thresholds.set_index(["threshold", "year"])["probability"]
    assert all(p_then[(0.3, y)] <= p_now[(0.25, y)] for y in years)
    assert any(p_then[(0.3, y)] < p_now[(0.25, y)] for y in years)
    assert all(p_then[(0.5, y)] == p_now[(0.5, y)] for y in years)
    # The keys name the data's threshold in percent, and carry its probability.
    heads = {h.key: h for h in erosion_text.headlines(then)}
    assert not [k for k in heads if "25pct" in k]
    above = heads[f"p_asic_above_30pct_{end}"]
    assert above.value == p_then[(0.3, end)] and above.label == f"P(ASIC share of spend > 30% in {end})"
    assert {"year_asic_stays_above_30pct", "share_never_stays_above_30pct"} <= set(heads)
    assert "p_asic_spend_share_above_30pct" in forecast_result.by_year(then)
    text = erosion_text.threshold_text(then, observed_checks.observed_asic_share_range(moved, moved_p, moved_schema),
                                       moved_schema)
    assert "more than 30%" in text and "25%" not in text
    # Section 0, the verdict and the first screen follow: keys, the rule's words and the sentences.
    found = summary.key_findings(moved, moved_p, moved_schema, then)
    published = {h.key: h for h in found.items}
    assert published["p_asic_above_30pct_end"].value == p_then[(0.3, end)]
    assert not [k for k in published if "25pct" in k]
    said = verdict.decide(found.inputs)
    assert "Above 30% of the spend" in said.when and "25%" not in said.when
    assert [r.condition for r in said.table if "> 30%" in r.condition]
    assert not [r for r in said.table if "25%" in r.then + r.condition]
    assert verdict.thresholds(found.inputs.levels)["share_lower"]["value"] == 0.3
    numbers = front.key_numbers({"summary": {k: h.as_dict() for k, h in published.items()}}, thresholds(moved))
    assert f"summary.p_asic_above_30pct_{front.END}" in [n.key for n in numbers]
    shown = SECTIONS["summary"].compute(moved, moved_p)
    words = " ".join(getattr(e, "markdown", "") for e in shown["answer_first"])
    titles = " ".join(e.chart.to_json() for e in shown["answer_first"] if hasattr(e, "chart"))
    assert "Above 30% of the spend" in words and "25%" not in words.replace("25th", "")
    assert "more than 30% / 50% of the spend" in titles
