"""What a reader sees says every number one way: no raw `inf`, `nan`, `None` or `null`, no float printed with more than
four decimals, and no parameter's code name outside code and the parameter appendix, on every rendered page (the
report and the one-page brief) of the default build and of each named scenario (scenarios/*.yaml)."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pytest

from analysis import data
from analysis.pipeline import cache, report
from analysis.data import params, scenarios

#: Elements whose text is code or machinery, not prose: parameter names are allowed there, and a chart's spec or the
#: page's script is not read as text.
SKIPPED_TAGS = {"code", "pre", "script", "style", "kbd", "samp"}
#: Appendices that list parameters and sources by their code names and quote sources' own figures verbatim.
SKIPPED_IDS = {"parameters", "sources"}
#: Raw non-numbers, and a float with more than four decimals after its leading zeros (0.6211750163, 98.3200000000;
#: 0.01142 has four significant decimals and passes). An identifier such as arXiv:1706.03762 is not a number.
RAW = re.compile(r"(?<![\w.-])(?:-?inf|Infinity|nan|NaN|None|null)(?![\w.-])|(?<![\w.:])\d+\.0*[1-9]\d{4,}")
#: What is scanned per build: a smaller Monte Carlo than the default (what is printed does not depend on the count).
FAST = {"mc_draws": 1000, "sobol_base_samples": 64}
PAGES = ("index.html", "brief.html")


class _Text(HTMLParser):
    """Collects the text a reader sees, outside SKIPPED_TAGS and the elements with SKIPPED_IDS."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area", "base", "embed", "param",
            "track"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []          # per open element: is its content skipped?
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        skipped = (bool(self.stack) and self.stack[-1]) or tag in SKIPPED_TAGS or dict(attrs).get("id") in SKIPPED_IDS
        self.stack.append(skipped)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, text):
        if not (self.stack and self.stack[-1]):
            self.parts.append(text)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def offences(text: str, names: set[str]) -> list[str]:
    """Raw values and parameter code names in `text`, each with a little context."""
    found = [m for m in RAW.finditer(text)]
    found += [m for m in re.finditer(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", text) if m.group(0) in names]
    return sorted({text[max(0, m.start() - 40):m.end() + 20].replace("\n", " ") for m in found})


def test_the_scanner_catches_each_kind_and_skips_code_and_the_parameter_appendix():
    names = {"tenant_utilization"}
    bad = ("<p>median year inf</p><p>share nan</p><td>None</td><p>0.6211750163261498</p>"
           "<p>set tenant_utilization</p>")
    assert len(offences(visible_text(bad), names)) == 5
    fine = ("<p>never, n/a, 62.1%, 3.1416, 0.01142, arXiv:1706.03762, $1,234.5</p><code>tenant_utilization</code><p>information</p>"
            "<details id='parameters'><td>tenant_utilization 0.543219</td></details><script>var x = null;</script>")
    assert offences(visible_text(fine), names) == []


@pytest.mark.build
@pytest.mark.parametrize("name", ["default", *scenarios.names()])
def test_every_page_says_each_number_one_way(name, built, default_build, tmp_path, monkeypatch, warm):
    """The default report (the session's, at the default Monte Carlo), and each scenario's built into a copy of its
    cache: a scenario that sets nothing (the base) is the defaults and reuses the default report's notebooks; the
    others run at the FAST Monte Carlo."""
    ds = data.load_dataset()
    schema = params.schema(ds)
    folder = built
    if name != "default":
        shutil.copytree(default_build["cache"], tmp_path / "cache")
        monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
        values = scenarios.resolve_scenario(name, ds)
        if scenarios.load(name)["values"]:
            values = values.replace(**FAST)
        folder = report.build(tmp_path / name, values, schema, ds, scenario=name, workers=warm())
    problems = {}
    for page in PAGES:
        found = offences(visible_text((folder / page).read_text(encoding="utf-8")), set(schema))
        if found:
            problems[page] = found
    assert not problems, problems
