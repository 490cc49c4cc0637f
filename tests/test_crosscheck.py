"""The cross-check panel: the report's figures beside published ones, and what counts as agreement."""
import math

import pandas as pd
import pytest

from analysis.data import params, vocab
from analysis.models import crosscheck
from analysis.sections import claims


PUBLISHED = pd.DataFrame({
    "check_id": ["a", "b"], "description": ["A", "B"], "published_value": [5.0, 4.0], "unit": ["ratio", "USD"],
    "compares_with": ["key_a", "key_b"], "basis": ["independent", "independent"],
    "why_they_differ": ["Different scope.", "Different prices."], "source_id": ["s1", "s2"]})


def test_panel_sets_ours_beside_theirs():
    table = crosscheck.panel(PUBLISHED, {"key_a": 10.0, "key_b": 1.0})
    assert table["ratio"].tolist() == [2.0, 0.25]
    assert table["fold"].tolist() == [2.0, 4.0]
    assert table["why_they_differ"].tolist() == ["Different scope.", "Different prices."]
    assert crosscheck.largest_disagreement(table)["check_id"] == "b"


@pytest.mark.parametrize("ours, error, fragment", [
    ({"key_a": 1.0}, KeyError, "key_b"),
    ({"key_a": 1.0, "key_b": 1.0, "key_c": 1.0}, KeyError, "key_c"),
    ({"key_a": 1.0, "key_b": math.nan}, ValueError, "key_b"),
    ({"key_a": 0.0, "key_b": 1.0}, ValueError, "key_a"),
])
def test_panel_refuses_missing_unknown_or_unusable_values(ours, error, fragment):
    with pytest.raises(error, match=fragment):
        crosscheck.panel(PUBLISHED, ours)


def test_consistency_and_incomparable_rows_never_count_as_agreement():
    published = pd.concat([PUBLISHED, PUBLISHED.assign(check_id=["c", "d"], compares_with=["key_c", "key_d"],
                                                         basis=["consistency", "not comparable"])], ignore_index=True)
    table = crosscheck.panel(published, {"key_a": 5.0, "key_b": 1.0, "key_c": 5.0, "key_d": 4.0})
    assert crosscheck.agreement(table) == crosscheck.Agreement(agree=1, independent=2, consistency=1, not_comparable=1)
    text = claims.agreement_text(table)
    assert text.startswith("1 of 2 independent") and "4.0 times apart" in text


def test_the_committed_panel_labels_its_consistency_rows(ds):
    """A row whose figure the report itself computed from the same source is a consistency check."""
    rows = ds["cross_checks"].set_index("check_id")
    assert set(rows.index[rows["basis"] == "consistency"]) == {"epoch-trainium-share-2024", "epoch-trainium-share-2025",
                                                                  "epoch-amazon-units-2025"}
    assert rows.loc["trendforce-asic-share-2026", "basis"] == rows.loc["sequoia-600b", "basis"] == "not comparable"
    assert rows.loc["epoch-amazon-units-2025-vs-funnel", "basis"] == "independent"


def test_no_independent_row_is_the_reports_own_input(ds, schema):
    """The computed panel: an independent row whose ratio is 1 to six digits compares the report with its own input
    (a consistency row in disguise); the agreement count leaves consistency rows out, and the funnel's count stands
    against Epoch's."""
    from analysis.models import outlook
    p = params.resolve({"mc_draws": 1000}, ds)
    result = outlook.run(ds, p, schema, sensitivity=False)
    table = crosscheck.panel(ds["cross_checks"], crosscheck.our_values(ds, p, schema, result)).set_index("check_id")
    independent = table[table["basis"] == "independent"]
    assert not (independent["ratio"] - 1).abs().lt(1e-6).any()
    assert table.loc["epoch-amazon-units-2025", "ratio"] == pytest.approx(1.0)          # shown, as a consistency row
    assert table.loc["epoch-amazon-units-2025-vs-funnel", "ratio"] > 1.5                  # the funnel counts far more
    counts = crosscheck.agreement(table.reset_index())
    assert counts.independent == len(independent) and counts.consistency == 3
    assert counts.agree == int((independent["fold"] <= crosscheck.AGREEMENT_FOLD).sum())


def test_panel_accepts_the_committed_figures(ds):
    published = ds["cross_checks"]
    table = crosscheck.panel(published, {key: 1.0 for key in published["compares_with"]})
    assert len(table) == len(published) >= 6
    assert not table["why_they_differ"].str.contains(vocab.STANDALONE_NUMBER, regex=True).any()
    assert (table["theirs"] == published["published_value"].to_numpy()).all()


def test_rows_whose_figure_of_ours_is_zero_are_left_out_and_named():
    published, ours, left_out = crosscheck.comparable(PUBLISHED, {"key_a": 0.0, "key_b": 2.0})
    assert list(published["check_id"]) == ["b"] and ours == {"key_b": 2.0} and left_out == ["A"]
    assert crosscheck.panel(published, ours)["ratio"].tolist() == [0.5]
