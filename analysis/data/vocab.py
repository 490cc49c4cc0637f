"""The data files' vocabulary: allowed confidences, units, verdicts and claim types, and the patterns of
periods, dates and file names (shared by the loader and the table schemas)."""
import re

CONFIDENCE = ["reported", "estimated", "derived", "assumption"]
#: Source sites that are copies, mirrors, summaries or reposts of what someone else published (syndicated press
#: releases, transcript and filing aggregators, Q&A summaries, reposted articles, personal blogs): a figure resting on
#: one is shown with "low-confidence source" beside it until the original replaces it. Content farms, listicles and
#: gossip sites are not here: they may not back a parameter default or a headline at all (tests/test_sources.py).
LOW_CONFIDENCE_SOURCE_DOMAINS = frozenset({
    "quantisnow.com", "markets.financialcontent.com", "business.pawtuckettimes.com", "business.woonsocketcall.com",
    "businesswirenews.com", "licensinginternational.org", "6ix.com", "eninvs.com", "happening.etoro.app",
    "statementdog.com", "filingradar.com", "finoracle.net", "fintool.com", "insidermonkey.com", "nytimes.sbs",
    "trendindigitals.in", "thetradable.com", "feature.nextapple.com", "unanswered.io", "danielparente.net",
    "5205849-ov30780.twc1.net", "isopack.blogspot.com", "supercluster.blog", "neyman.ai", "aiwiki.ai",
    "theinformationmachine.fyi", "aimultiple.com", "usage.ai", "fastsbusiness.com", "overviewforex.com",
    "fundalyst.xyz", "reportify.ai", "newsbeep.com", "thedailyscout.com"})
UNITS = ["USD_million", "USD", "USD_per_hour", "fraction", "percent", "TFLOPS", "GB", "GiB", "MB",
         "TB_per_s", "W", "MW", "kW", "tokens_per_s", "count", "H100e", "years", "hours", "months",
         "USD_per_kWh", "USD_per_year", "ratio", "date", "quarter", "text"]
FISCAL_PERIOD = r"^FY\d{4}(Q[1-4])?$"
QUARTER = r"^\d{4}Q[1-4]$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
PARTIAL_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
VERDICTS = ["supported", "partly supported", "contradicted", "not borne out", "unverifiable", "too early"]
CLAIM_TYPES = ["quantitative", "dated", "attributed", "predictive"]
#: The owner (in Epoch AI's owner files) whose rows the report's models read; the other owners' rows of
#: epoch_fleet.csv and epoch_cumulative.csv are there for comparison.
REPORT_OWNER = "Amazon"
EVIDENCE_SEPARATOR = ";"
# A digit that does not continue a word (H100, GB200 are fine; $5, 2023, 1.6x are not): explanation texts
# beside computed results must not hand-type numbers.
STANDALONE_NUMBER = r"(?<![A-Za-z0-9])\d"
#: Longest text cell accepted (the longest in the data is under 300 characters).
MAX_TEXT = 1000
#: A manifest entry: a plain file name in the data folder, never a path.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.csv", re.ASCII)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
#: A plain decimal number as text ("-1.5", ".5", "2e-3"; ASCII digits only: no "½", no Arabic-Indic digits, no
#: "inf" or "nan"): what a data cell, a parameter value, a hub value and a spreadsheet cell may hold as a number.
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def evidence_ids(cell: str) -> list[str]:
    """The source ids listed in a claim's `evidence` cell ('id-a;id-b')."""
    return [part.strip() for part in cell.split(EVIDENCE_SEPARATOR)]


def shorten(value, limit: int = 60) -> str:
    """repr(value), cut to `limit` characters, for error messages that must stay one short line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
