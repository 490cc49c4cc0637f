"""Claims ledger and dated events: data rules (a corrupt row per rule), consistency with the data they derive from,
and verdict counts. (The cross-check panel: tests/test_crosscheck.py.)"""
import re

import pandas as pd
import pytest

from analysis import data
from analysis.data import vocab
from analysis.models import ledger
from analysis.errors import DataError
from tests.test_data import _assert_cli_refuses, _edit, _line_of


@pytest.fixture(scope="module")
def ds():
    return data.load_dataset()


# --- the ledger as committed ----------------------------------------------------------------------------------

def test_every_claim_has_a_verdict_a_reason_and_resolving_evidence(ds):
    claims = ds["essay_claims"]
    sources = set(ds["sources"]["id"])
    assert len(claims) >= 25
    for _, row in claims.iterrows():
        assert row["verdict"] in vocab.VERDICTS, row["claim_id"]
        assert row["reason"].strip() and row["finding"].strip(), row["claim_id"]
        ids = data.evidence_ids(row["evidence"])
        assert ids and set(ids) <= sources, row["claim_id"]


def test_claim_pointer_names_its_paragraph(ds):
    for _, row in ds["essay_claims"].iterrows():
        assert row["pointer"].startswith(f"¶{row['paragraph']},"), row["claim_id"]


def test_the_issue_named_claims_are_in_the_ledger(ds):
    quotes = " ".join(ds["essay_claims"]["quote"])
    for fragment in ("GlobalFoundries’ 12nm in 2020", "raised $100M in 2023", "14nm transistors (GlobalFoundries)",
                     "Alchip", "Inferentia was announced in 2019", "4Q23 earnings call",
                     "every successive chip", "not so much in the near-term", "sooner than AI ASIC startups"):
        assert fragment in quotes, fragment


# --- derived rows agree with the rows they are computed from ------------------------------------------------

def _epoch_year(ds, year):
    fleet = ds["epoch_fleet"]
    return fleet[(fleet["owner"] == "Amazon") & fleet["quarter"].str.startswith(str(year))]


@pytest.mark.parametrize("year", [2024, 2025])
def test_epoch_trainium_share_rows_match_epoch_fleet(ds, year):
    h100e = _epoch_year(ds, year).query("measure == 'h100e'")
    share = h100e.loc[h100e["vendor"] == "Amazon", "median"].sum() / h100e["median"].sum()
    published = ds["cross_checks"].set_index("check_id").loc[f"epoch-trainium-share-{year}", "published_value"]
    assert published == pytest.approx(share, abs=5e-5)


def test_epoch_unit_count_row_matches_epoch_fleet(ds):
    units = _epoch_year(ds, 2025).query("measure == 'units'")["median"].sum()
    assert ds["cross_checks"].set_index("check_id").loc["epoch-amazon-units-2025", "published_value"] == units


@pytest.mark.parametrize("event_id, year", [("capex-2024", "FY2024"), ("capex-2025", "FY2025")])
def test_capex_events_match_quarterly_financials(ds, event_id, year):
    fin = ds["financials"]
    quarters = fin[(fin["company"] == "Amazon") & (fin["metric"] == "capex_gross")
                   & fin["fiscal_period"].str.fullmatch(rf"{year}Q[1-4]")]
    assert len(quarters) == 4
    assert ds["events"].set_index("event_id").loc[event_id, "value"] == quarters["value"].sum()


def test_price_cut_event_matches_instance_prices(ds):
    p5 = ds["instances"].set_index(["instance_type", "price_kind"])["usd_per_hour"]
    cut = 1 - p5[("p5.48xlarge", "on_demand_post_cut")] / p5[("p5.48xlarge", "on_demand_pre_cut")]
    assert ds["events"].set_index("event_id").loc["gpu-price-cut", "value"] == pytest.approx(cut, abs=5e-5)


def test_events_are_dated_since_february_2024_in_order(ds):
    dates = ds["events"]["date"]
    assert (dates >= "2024-02").all()
    assert list(dates) == sorted(dates)


# --- a corrupt row per rule: one line naming file, line and column, exit status 2 ----------------------------

CLAIM = "e01-thesis,2,thesis,predictive,"
CORRUPT = [
    ("essay_claims.csv", ",supported,Every year since", ",right,Every year since", "column 'verdict'"),
    ("essay_claims.csv", CLAIM, "e01-thesis,2,thesis,prophecy,", "column 'claim_type'"),
    ("essay_claims.csv", CLAIM, "e01-thesis,0,thesis,predictive,", "column 'paragraph'"),
    ("essay_claims.csv", "supported,Every year since the essay AWS bought and launched new Nvidia GPUs while Trainium also grew.,",
     "supported,,", "column 'reason'"),
    ("essay_claims.csv", "nvda-aws-1m-gpu-deal;openai-aws-38b-2025;", "nvda-aws-1m-gpu-deal; openai-aws-38b-2025;",
     "column 'evidence'"),
    ("essay_claims.csv", "nvda-aws-1m-gpu-deal;openai-aws-38b-2025;", "nvda-aws-1m-gpu-deal;no-such-source;",
     "column 'evidence': unknown source id 'no-such-source'"),
    ("cross_checks.csv", "is a sales argument at", "is a sales argument worth $5 at", "column 'why_they_differ'"),
    ("cross_checks.csv", "nvidia-rental-multiple,Nvidia: $1 of GPU hardware rents out for ~$5 over four years,5,ratio",
     "nvidia-rental-multiple,Nvidia: $1 of GPU hardware rents out for ~$5 over four years,0,ratio", "column 'published_value'"),
    ("cross_checks.csv", "over four years,5,ratio,", "over four years,5,times,", "column 'unit'"),
    ("cross_checks.csv", "rental_revenue_per_hardware_dollar_4y", "Rental-revenue", "column 'compares_with'"),
    ("cross_checks.csv", ",2 (energy and data center) x 2 (end-user gross margin) = 4", ",", "must state its formula"),
    ("events.csv", "anthropic-4b-complete,2024-03-27,", "anthropic-4b-complete,2023-03-27,", "column 'date'"),
    ("events.csv", "anthropic-4b-complete,2024-03-27,", "anthropic-4b-complete,27/03/2024,", "column 'date'"),
    ("events.csv", "2024-03-27,anthropic,", "2024-03-27,gossip,", "column 'category'"),
    ("events.csv", ",2750,USD_million,", ",2750,,", "a row with a value needs a unit"),
    ("events.csv", "sum of financials.csv Amazon capex_gross FY2024Q1..FY2024Q4", "", "must state its formula"),
]


def _validate_only(folder, file):
    """Validate the table of `file` alone, as `data.load_dataset` validates each table, with the id checks against
    the sources (whose own table is valid): a corrupt row costs one table's validation, not the dataset's."""
    from analysis.data import tables, validation
    (name,) = [n for n, t in tables.TABLES.items() if t.file == file]
    frames = {n: validation._read_table(folder, n) for n in (name, "sources", "accelerators")}
    validation._check_references(folder, frames)


@pytest.mark.parametrize("file, old, new, fragment", CORRUPT, ids=[f"{c[0]}:{c[3]}" for c in CORRUPT])
def test_corrupt_row_is_refused(data_copy, file, old, new, fragment):
    """One line naming the file (and line and column); the whole path, `load_dataset` and the CLI, is taken by
    test_a_corrupt_ledger_row_stops_loading_and_the_cli."""
    path = data_copy / file
    line = _line_of(path, old)
    _edit(path, old, new)
    with pytest.raises(DataError) as raised:
        _validate_only(data_copy, file)
    message = str(raised.value)
    assert file in message and fragment in message and "\n" not in message, message
    if "column" in fragment:
        assert f"line {line}," in message, message


def test_a_corrupt_ledger_row_stops_loading_and_the_cli(data_copy):
    file, old, new, fragment = CORRUPT[0]
    _edit(data_copy / file, old, new)
    data.write_manifest(data_copy)
    with pytest.raises(DataError, match=fragment):
        data.load_dataset(data_copy)
    _assert_cli_refuses(data_copy, file)


# --- verdict counts ---------------------------------------------------------------------------------------------

def test_verdict_counts_keep_the_fixed_order_and_zeros():
    claims = pd.DataFrame({"verdict": ["contradicted", "supported", "supported", "too early"]})
    counts = ledger.verdict_counts(claims)
    assert list(counts.index) == vocab.VERDICTS
    assert counts.to_dict() == {"supported": 2, "partly supported": 0, "contradicted": 1, "not borne out": 0,
                                "unverifiable": 0, "too early": 1}


def test_revisited_verdicts_use_the_fixed_words_and_quote_their_evidence(ds):
    """Issue 24's three claims: the Inferentia date (right year of availability, wrong year of announcement), the
    Tenstorrent round (amount and year right), AMD's chance at AWS (a possibility that did not happen); each finding
    quotes its evidence and names only sources in its evidence column, and none rests on a low-confidence source alone."""
    claims = ds["essay_claims"].set_index("claim_id")
    expected = {"inferentia-2019": "partly supported", "tenstorrent-100m-2023": "supported",
                "amd-could-compete": "not borne out", "e02-competition": "partly supported"}
    assert claims.loc[list(expected), "verdict"].to_dict() == expected
    assert "not borne out" in vocab.VERDICTS
    for claim_id in expected:
        row = claims.loc[claim_id]
        assert "'" in row["finding"]                                      # a quoted passage
        assert set(row["evidence"].split(";")) - {"ai-wiki-aws-inferentia", "groq-nvidia-licence-2025"}
    assert "lifeberatung-amazon-pauses-amd" not in claims.loc["amd-could-compete", "evidence"]


def test_verdict_counts_refuse_an_unknown_verdict():
    with pytest.raises(ValueError, match="probably"):
        ledger.verdict_counts(pd.DataFrame({"verdict": ["supported", "probably"]}))


def test_verdict_counts_of_the_ledger_add_up(ds):
    counts = ledger.verdict_counts(ds["essay_claims"])
    assert counts.sum() == len(ds["essay_claims"])
    assert (counts > 0).sum() >= 3


# --- cross-check panel ----------------------------------------------------------------------------------------

def test_standalone_number_rule_allows_chip_names_only():
    rule = re.compile(vocab.STANDALONE_NUMBER)
    assert not rule.search("H100, GB200 NVL72 and P6-B200 differ")
    assert rule.search("about 2.5 times") and rule.search("costs $5") and rule.search("in 2024")
