"""The answer's words: one word scale for probabilities (analysis.views.likelihood), the verdict's rule held to its
stated thresholds (analysis.views.verdict), and verdicts that change when the forecast does (three parameter sets,
computed in-process by the section functions, as the build publishes them)."""
from __future__ import annotations

import ast
import dataclasses

import pytest

from analysis.pipeline import front
from analysis.data import params
from analysis import data
from analysis.models import outlook
from analysis.models.horizons import thresholds
from analysis.sections import SECTIONS, erosion_text
from analysis.sections import summary as summary_section
from analysis.views import likelihood, verdict, verdict_inputs
from analysis.views.exhibits import Text
from tests.conftest import ROOT

EPS = 1e-9


# --- the word scale --------------------------------------------------------------------------------------------

def test_the_scale_tiles_zero_to_one_and_each_bound_starts_its_own_bin():
    bins = likelihood.SCALE
    assert bins[0].lower == 0.0 and bins[-1].upper == 1.0
    assert all(a.upper == b.lower for a, b in zip(bins, bins[1:]))
    for below, term in zip(bins, bins[1:]):
        assert likelihood.words(term.lower) == term.word                 # a bin holds its lower bound ...
        assert likelihood.words(term.lower - EPS) == below.word          # ... and not its upper one
    assert likelihood.words(0.0) == "exceptionally unlikely" and likelihood.words(1.0) == "virtually certain"
    assert [likelihood.words(p) for p in (0.032, 0.044, 0.2, 0.493, 0.7, 0.95)] == [
        "very unlikely", "very unlikely", "unlikely", "about as likely as not", "likely", "very likely"]
    with pytest.raises(ValueError, match="probability"):
        likelihood.words(1.2)


def test_the_glossary_states_every_bin():
    text = likelihood.glossary()
    assert all(t.word in text for t in likelihood.SCALE)
    assert "about as likely as not: 33% to under 66%" in text and "exceptionally unlikely: under 1%" in text


def _word_literals(path):
    """String constants of a module (docstrings aside) that hold a word of the scale or an old ad-hoc word ("likely"
    alone only as the whole string), except the argument of likelihood.lower_bound (the rule names its bounds by
    their words)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = {id(node.args[0]) for node in ast.walk(tree) if isinstance(node, ast.Call)
               and getattr(node.func, "attr", getattr(node.func, "id", "")) == "lower_bound" and node.args}
    allowed |= {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}        # docstrings
    words = [t.word for t in likelihood.SCALE if t.word != "likely"] + ["coin toss", "plausible"]
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in allowed and (node.value.lower() == "likely" or any(w in node.value.lower() for w in words))]


def test_no_module_but_the_scale_turns_a_probability_into_words():
    found = {str(p.relative_to(ROOT)): _word_literals(p) for p in (ROOT / "analysis").rglob("*.py")
             if p.name != "likelihood.py"}
    assert {k: v for k, v in found.items() if v} == {}
    templates = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "analysis" / "templates").glob("*.j2"))
    assert "unlikely" not in templates             # the glossary prints the scale from the module


def test_the_word_check_would_see_a_word_typed_into_code(tmp_path):
    planted = tmp_path / "m.py"
    planted.write_text('x = "very unlikely" if p < 0.1 else "likely"\ny = lower_bound("likely")\n', encoding="utf-8")
    assert _word_literals(planted) == ["very unlikely", "likely"]


# --- the rule, at and either side of each stated threshold ------------------------------------------------------

#: The data's thresholds (data/parameters.csv), as every run of this dataset reads them.
LEVELS = thresholds(data.load_dataset())
LOWER, UPPER = LEVELS.shares


def _inputs(fall=0.0, halve=0.0, lower=0.0, upper=0.0, share=0.2, peak=(2024, 0.2)) -> verdict.Inputs:
    years = range(2022, 2031)
    return verdict.Inputs(
        revenue_first=verdict.Estimate(3.2, "USD_billion", 2023, 2.4, 4.3),
        revenue_last=verdict.Estimate(14.8, "USD_billion", 2025, 11.2, 19.8),
        share_last=verdict.Estimate(share, "fraction", 2025, share - 0.05, share + 0.05),
        share_peak=verdict.Estimate(peak[1], "fraction", peak[0], peak[1] - 0.05, peak[1] + 0.05),
        end=2030, p_fall=fall, p_halve=halve,
        p_above={LOWER: {y: lower for y in years}, UPPER: {y: upper for y in years}},
        stays={t: verdict.Stays(None, None, None, 1.0) for t in LEVELS.shares}, levels=LEVELS)


L, E = verdict.LIKELY, verdict.EVEN
BOUNDARIES = [
    # (inputs, rule that must hold first): each threshold just below, at, and just above its bound
    (dict(lower=E - EPS), "not_yet"), (dict(lower=E), "lower_share"), (dict(lower=E + EPS), "lower_share"),
    (dict(lower=0.5, upper=E - EPS), "lower_share"), (dict(lower=0.5, upper=E), "upper_share"),
    (dict(lower=0.5, upper=E + EPS), "upper_share"),
    (dict(fall=E - EPS), "not_yet"), (dict(fall=E), "may_fall"), (dict(fall=E + EPS), "may_fall"),
    (dict(fall=L - EPS), "may_fall"), (dict(fall=L), "falls_not_from_asics"), (dict(fall=L + EPS), "falls_not_from_asics"),
    (dict(fall=L, lower=E - EPS), "falls_not_from_asics"), (dict(fall=L, lower=E), "falls"),
    (dict(fall=L - EPS, lower=E), "may_fall"),
    (dict(fall=0.9, halve=L - EPS, lower=0.5), "falls"), (dict(fall=0.9, halve=L, lower=0.5), "falls_below_level"),
    (dict(fall=0.9, halve=L + EPS, lower=0.5), "falls_below_level"), (dict(fall=0.9, halve=L, lower=E - EPS), "falls_not_from_asics"),
]


@pytest.mark.parametrize("given, expected", BOUNDARIES)
def test_the_rule_holds_to_its_stated_thresholds(given, expected):
    assert verdict.decide(_inputs(**given)).rule == expected


def test_the_thresholds_are_the_scales_bounds_and_the_datas_rows(schema):
    assert (verdict.LIKELY, verdict.EVEN) == (likelihood.lower_bound("likely"), likelihood.lower_bound("about as likely as not"))
    stated = verdict.thresholds(LEVELS)
    assert {k: v["value"] for k, v in stated.items()} == {"share_lower": 0.25, "share_upper": 0.5, "revenue_level": 0.5,
                                                         "likely_bound": 0.66, "even_bound": 0.33}
    assert all(v["why"] for v in stated.values())
    for key in ("share_lower", "share_upper", "revenue_level"):     # each read from its row, with its rationale
        row = schema[stated[key]["parameter"]]
        assert (row.default, row.rationale, row.confidence) == (stated[key]["value"], stated[key]["why"], "assumption")


def test_the_headline_words_come_from_the_scale_and_the_rule_table_states_every_row():
    said = verdict.decide(_inputs(fall=1.0, halve=0.995, lower=0.7))
    assert said.headline == "Yes: a fall below 50% of its 2025 level by 2030 is virtually certain"
    table = said.as_dict()["rule"]
    assert [r["name"] for r in table] == [r.name for r in verdict.RULES] and sum(r["matched"] for r in table) == 1
    assert table[-1]["if"] == "otherwise" and "66%" in table[0]["if"] and "33%" in table[0]["if"]
    assert "[the word for P(fall)]" in table[3]["then"] and "2025" in table[3]["then"]
    assert said.as_dict()["inputs"]["p_halve"] == {"value": 0.995, "unit": "fraction",
                                                   "from": "summary.p_nvidia_revenue_below_50pct_observed_last"}


def test_a_threshold_already_passed_is_said_to_be_passed_not_forecast():
    now = verdict.when(_inputs(share=0.3, peak=(2025, 0.3), lower=0.8))
    assert "above 25% of the spend: already above in the central estimate for 2025 (30.0%)" in now.lower()
    before = verdict.when(_inputs(share=0.227, peak=(2024, 0.27), lower=0.49))
    assert "above in the central estimate for 2024 (27.0%) but not for 2025 (22.7%)" in before
    future = verdict.when(_inputs(share=0.1, peak=(2025, 0.1)))
    assert "not yet (10.0% in 2025)" in future and "already" not in future


def test_what_happened_says_which_way_revenue_moved_and_whether_the_bands_overlap():
    i = _inputs()
    assert "rose from $3.2B ($2.4B–$4.3B) in 2023 to $14.8B ($11.2B–$19.8B) in 2025." in verdict.happened(i)
    lower = dataclasses.replace(i, revenue_last=verdict.Estimate(3.0, "USD_billion", 2025, 2.0, 4.0))
    assert "fell from" in verdict.happened(lower) and "(the two bands overlap)" in verdict.happened(lower)
    fall = verdict.fall(dataclasses.replace(i, p_fall=0.044, p_halve=0.001))
    assert fall == ("Will it fall? Nvidia's revenue from AWS in 2030 below its 2025 level of $14.8B is very unlikely "
                    "(probability 4.4%); below 50% of it, $7.4B, exceptionally unlikely (0.1%).")


def test_inputs_are_read_from_results_by_address_and_a_missing_one_is_named():
    i = _inputs(fall=0.1, halve=0.01, lower=0.4, upper=0.05)
    item = dict(unit="fraction")
    results = {
        "summary": {"nvidia_revenue_observed_first": {"value": 3.2, "unit": "USD_billion", "year": 2023},
                    "nvidia_revenue_observed_last": {"value": 14.8, "unit": "USD_billion", "year": 2025, "p5": 11.2, "p95": 19.8},
                    "asic_spend_share_observed_last": {"value": 0.2, "year": 2025, **item},
                    "asic_spend_share_observed_peak": {"value": 0.27, "year": 2024, **item},
                    "p_nvidia_revenue_below_observed_last": {"value": 0.1, **item},
                    "p_nvidia_revenue_below_50pct_observed_last": {"value": 0.01, **item}},
        "erosion": {**{f"p_asic_above_{pct}pct_{y}": {"value": None if y < 2024 else p, **item}
                       for pct, p in ((25, 0.4), (50, 0.05)) for y in range(2022, 2031)},
                    **{f"year_asic_stays_above_{pct}pct": {"value": None, "p5": 2024.0, "p95": None, "unit": "year"} for pct in (25, 50)},
                    **{f"share_never_stays_above_{pct}pct": {"value": 0.6, **item} for pct in (25, 50)}}}
    read = verdict_inputs.from_results(results, LEVELS)
    assert read.end == 2030 and read.last == 2025 and read.share_peak.year == 2024
    assert set(read.p_above[0.25]) == set(range(2024, 2031)) and read.p_end(0.5) == 0.05
    assert verdict.decide(read).rule == verdict.decide(i).rule == "lower_share"
    del results["summary"]["asic_spend_share_observed_peak"]
    with pytest.raises(KeyError, match="summary.asic_spend_share_observed_peak"):
        verdict_inputs.from_results(results, LEVELS)


def test_what_the_probabilities_assume_is_read_from_the_run():
    results = {"assumptions": {
        "trainium_ceiling": {"label": "Trainium share ceiling", "value": 0.45, "unit": "fraction", "p5": 0.3, "p95": 0.7},
        "observed_data": {"label": "Observed data", "value": "drawn within Epoch AI's bands", "unit": "text"},
        "trainium_unit_cost_usd": {"label": "Trainium unit cost", "value": 4000.0, "unit": "USD"}}}
    assumed = verdict_inputs.assumptions(results)
    text = verdict.conditional_on(assumed, {"Trainium share ceiling": 0.7}, "asic-surge")
    assert "Drawn (5th–95th percentiles): Trainium share ceiling 30.0%–70.0%." in text
    assert "Observed data: drawn within Epoch AI's bands." in text and "Held fixed: Trainium unit cost $4,000." in text
    assert text.endswith("Scenario: asic-surge. Values set away from the defaults: Trainium share ceiling = 0.7.")
    assert "Scenario" not in verdict.conditional_on(assumed, {}) and "none (the defaults)" in verdict.conditional_on(assumed, {})


# --- the verdict follows the forecast: three parameter sets ------------------------------------------------------

#: Parameter sets whose verdicts must differ: the defaults; capex shrinking while Trainium grows (Nvidia's revenue
#: from AWS falls); and a low Trainium ceiling (ASICs stay small).
SETS = {"defaults": ({}, "may_fall"),
        "revenue falls": ({"capex_growth_scale": 0.5, "trainium_ceiling": 0.7}, "falls_below_level"),
        "ASICs stay small": ({"trainium_ceiling": 0.1}, "not_yet")}


def _published(ds, p) -> tuple[dict, str]:
    """What a build publishes for the verdict (section 0's groups and section 3's forecast headlines), computed
    in-process, and section 0's answer text."""
    summary = SECTIONS["summary"].compute(ds, p)
    found = {name: {h.key: h.as_dict() for h in group.items} for name, group in summary.published.items()}
    forecast = outlook.run(ds, p, params.schema(ds), sensitivity=False)
    found["erosion"] = {h.key: h.as_dict() for h in erosion_text.headlines(forecast)}
    answer = next(e.markdown for e in summary["answer_first"] if isinstance(e, Text))
    return found, answer


@pytest.fixture(scope="module")
def verdicts(ds):
    out = {}
    for name, (overrides, _) in SETS.items():
        p = params.resolve(overrides, ds)
        found, answer = _published(ds, p)
        schema = params.schema(ds)                # the page names a changed value by its label, as report.build does
        out[name] = (front.answer(found, LEVELS, {schema[k].title: v for k, v in overrides.items()}, None), answer, found)
    return out


@pytest.mark.parametrize("name", list(SETS))
def test_each_parameter_set_gets_the_rule_row_its_forecast_implies(verdicts, name):
    said, answer, found = verdicts[name]
    assert said["matched"] == SETS[name][1], (said["headline"], said["inputs"])
    assert f"**{said['headline']}.**" in answer                      # section 0 says what the first screen says
    row = next(r for r in said["rule"] if r["matched"])
    i = verdict_inputs.from_results(found, LEVELS)
    assert next(r for r in verdict.RULES if r.name == row["name"]).holds(i)
    assert not any(r.holds(i) for r in verdict.RULES[:[r.name for r in verdict.RULES].index(row["name"])])


def test_the_sections_typed_inputs_are_what_its_published_results_read_back(ds):
    """Section 0 hands the verdict a typed value (summary.key_findings(...).inputs); the one parser of results read
    back from disk (verdict_inputs.from_results) gives the same value from what the section published."""
    p = params.resolve({}, ds)
    found, _ = _published(ds, p)
    typed = summary_section.key_findings(ds, p, params.schema(ds), outlook.run(ds, p, params.schema(ds),
                                                                              sensitivity=False)).inputs
    assert verdict_inputs.from_results(found, LEVELS) == typed


def test_the_three_verdicts_differ_in_words_and_say_what_they_assume(verdicts):
    headlines = {name: v[0]["headline"] for name, v in verdicts.items()}
    assert len(set(headlines.values())) == 3, headlines
    assert headlines["defaults"].startswith("Possibly: a fall below its 2025 level by 2030 is")
    assert headlines["revenue falls"].startswith("Yes: a fall below 50% of its 2025 level by 2030 is")
    assert headlines["ASICs stay small"] == "Not by 2030"
    falls = verdicts["revenue falls"][0]
    assert falls["inputs"]["p_halve"]["value"] >= verdict.LIKELY and falls["inputs"]["p_share_above_25pct"]["value"] >= verdict.EVEN
    assert "Values set away from the defaults: Capex growth scale = 0.5, Trainium share ceiling = 0.7" in falls["conditional_on"]
    default = verdicts["defaults"][0]["conditional_on"]
    assert "Trainium share ceiling 30.0%–85.0%" in default and "Trainium unit cost $3,000–$5,333" in default
    assert "Capex outlook vintage: current" in default and "none (the defaults)" in default
