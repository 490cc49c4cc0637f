"""Where the report's numbers come from: no parameter default and no input of a headline rests on a content farm, a
listicle or a gossip site; copies and aggregators are flagged "low-confidence source" beside the number."""
from __future__ import annotations

from urllib.parse import urlsplit

import pandas as pd
import pytest

from analysis import data
from analysis.pipeline import report
from analysis.data import params, vocab
from analysis.models import fleet

#: Content farms, AI listicles, gossip and bulk-rewrite sites: never the source of a parameter default or a headline.
BANNED_DOMAINS = frozenset({
    "awesomeagents.ai", "aiproplaybook.com", "lifeberatung.com", "gossipworldnews.com", "kryptodaily.com",
    "coincentral.com", "wallstreetpit.com", "myaiguidebook.com", "genixplay.com", "briefbriefing.com",
    "wifitalents.com", "the-ledger.net", "technewshub.co.uk", "yobitel.com", "y-ic.de"})
#: Sites that publish the primary record: filings, company releases and price lists, government statistics, the
#: data set the counts come from.
PRIMARY_DOMAINS = frozenset({
    "sec.gov", "nvidianews.nvidia.com", "globenewswire.com", "ir.amd.com", "aws.amazon.com",
    "pricing.us-east-1.amazonaws.com", "eia.gov", "github.com"})


def host(url) -> str:
    return (urlsplit(url if isinstance(url, str) else "").hostname or "").removeprefix("www.")


def headline_inputs(ds) -> pd.DataFrame:
    """Every row a parameter default or a headline number is computed from, with its file and source id: the
    parameters, Amazon's capex and guidance and Nvidia's revenue, the instance prices and market rents (the landlord),
    Epoch's counts and the chip prices it uses (spend and Nvidia's revenue from AWS: fleet.EPOCH_SOURCE's yearly price
    rows), and the capex outlook. Price rows of other chips (a catalogue) feed no headline."""
    fin = ds["financials"]
    specs = ds["accelerator_specs"]
    specs = specs[(specs["metric"] == "price") & (specs["source_id"] == fleet.EPOCH_SOURCE)]
    frames = {
        "financials.csv": fin[fin["metric"].isin(["capex_gross", "capex_guidance", "revenue", "datacenter_revenue"])
                              & fin["company"].isin(["Amazon", "Nvidia"])],
        "instances.csv": ds["instances"], "rental_prices.csv": ds["rental_prices"], "epoch_fleet.csv": ds["epoch_fleet"],
        "accelerator_specs.csv": specs, "capex_outlook.csv": ds["capex_outlook"]}
    rows = [pd.DataFrame({"file": name, "source_id": frame["source_id"]}) for name, frame in frames.items()]
    schema = params.schema(ds)
    rows.append(pd.DataFrame({"file": "parameters.csv", "source_id": [p.source_id for p in schema.values()]}))
    return pd.concat(rows, ignore_index=True).dropna().drop_duplicates()


@pytest.fixture(scope="module")
def ds():
    return data.load_dataset()


def test_no_parameter_default_or_headline_input_rests_on_a_banned_site(ds):
    sites = ds["sources"].set_index("id")["url"].map(host)
    used = headline_inputs(ds).assign(site=lambda f: f["source_id"].map(sites))
    assert len(used) > 50 and used["site"].notna().all()
    banned = used[used["site"].isin(BANNED_DOMAINS)]
    assert banned.empty, banned.to_dict("records")
    assert not BANNED_DOMAINS & vocab.LOW_CONFIDENCE_SOURCE_DOMAINS       # a site is one or the other


def test_the_banned_list_would_catch_the_sources_it_replaced(ds):
    """The AMD cost ratio once rested on an AI listicle; the check sees such a row."""
    sites = ds["sources"].set_index("id")["url"].map(host)
    assert sites["awesomeagents-ai-amd-instinct-mi300x"] in BANNED_DOMAINS
    assert params.schema(ds)["amd_cost_ratio"].source_id == "epoch-ai-chip-counts"


def test_a_low_confidence_source_is_flagged_beside_its_parameter(ds):
    weak = report.low_confidence_sources(ds)
    schema = params.schema(ds)
    rows = {r["name"]: r for r in report._parameter_rows(schema, params.resolve({}, ds), set(schema), weak)}
    assert rows["server_overhead_fraction"]["low_confidence"]            # a Q&A summary of NVIDIA's user guide
    assert not rows["pue"]["low_confidence"]                              # AWS's own page
    flagged = {name for name, r in rows.items() if r["low_confidence"]}
    assert flagged == {name for name, p in schema.items() if p.source_id in weak}


def test_primary_sources_are_counted(ds):
    """Filings, company releases and price lists, government data and the Epoch repository: 78 of 248 sources before
    issue 24 (45 filings), 79 of 249 after it (AMD's own release)."""
    sites = ds["sources"]["url"].map(host)
    assert int(sites.isin(PRIMARY_DOMAINS).sum()) >= 79
