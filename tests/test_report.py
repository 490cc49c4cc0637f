"""The report builder end to end: structure, offline rendering in a real browser, determinism, atomic writes."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from markupsafe import escape

from analysis import data
from analysis.views.present import VEGALITE_MIMETYPE
from analysis.pipeline import cache, outdir, report
from analysis.pipeline.page import write_downloads
from analysis.data import params, scenarios
from analysis.pipeline.runner import notebook_paths
from tests.browser import drawn_marks, offline_page
from tests.conftest import DATA, ROOT, run_cli


def _amazon_capex_gross(ds, quarter: str) -> float:
    """The input row itself (financials.csv), so that the test does not hand-copy a number from the live data."""
    fin = ds["financials"]
    row = fin[(fin["company"] == "Amazon") & (fin["metric"] == "capex_gross") & (fin["fiscal_period"] == f"FY{quarter}")]
    return float(row["value"].iloc[0])


@pytest.mark.build
def test_report_folder_holds_page_results_and_executed_notebooks(built):
    assert (built / "index.html").is_file() and (built / outdir.MARKER).is_file()
    names = sorted(p.name for p in (built / "notebooks").iterdir())
    assert names == [p.name for p in notebook_paths()] and {"01_capex.ipynb", "02_portfolio.ipynb"} <= set(names)
    results = json.loads((built / "results.json").read_text())
    capex = results["results"]["capex"]
    gross = _amazon_capex_gross(data.load_dataset(), "2023Q3")
    assert capex["focus_quarter_amazon_capex_gross"] == {"label": "Amazon gross capex, 2023Q3", "unit": "USD_million", "value": gross}
    assert all({"value", "unit", "label"} <= set(r) for r in capex.values())
    assert results["data_version"] == data.load_dataset().version


@pytest.mark.build
def test_the_method_names_the_hindcast_origins_the_erosion_section_published(built, ds, schema):
    """The page's method list takes the hindcast's origins from the section's published row (the builder imports no
    model to find them); they are the years `hindcast.origins` reruns the forecast from."""
    from analysis.models import hindcast
    published = json.loads((built / "results.json").read_text())["results"]["erosion"]["hindcast_model_origins"]
    years = sorted(hindcast.origins(ds, params.resolve({}, ds), schema))
    assert published["value"] == " and ".join(f"end-{y}" for y in years) and published["period"] == [years[0], years[-1]]
    for page in ("index.html", "brief.html"):
        assert f"forecasts made from {published['value']} scored against what happened" in (built / page).read_text()


@pytest.mark.build
def test_page_is_self_contained(built):
    page = (built / "index.html").read_text(encoding="utf-8")
    assert page.count("vegaEmbed") >= 1 and page.count("<script>") == 2      # one bundle + one init script
    assert not re.search(r"<script[^>]+src=", page) and not re.search(r"<link[^>]+href=", page)
    for cdn in ("cdn.jsdelivr", "unpkg.com", "require.js", "mathjax.js", "tex-mml"):
        assert cdn not in page.lower()


@pytest.mark.build
def test_sources_appendix_lists_exactly_the_sources_used(built):
    page = (built / "index.html").read_text(encoding="utf-8")
    results = json.loads((built / "results.json").read_text())
    listed = re.findall(r'<tr id="src-([a-z0-9-]+)">', page)
    assert sorted(listed) == sorted(results["sources"])
    assert "amzn-10-q-2023q3" in listed and "chipstrat-amazons-nvidia-entanglement" in listed
    assert "yobitel-knowledge-base-intel-gaudi-2" not in listed   # Gaudi 2 rows are used by no section


@pytest.mark.build
def test_parameters_and_freshness_are_shown(built):
    page = (built / "index.html").read_text(encoding="utf-8")
    assert "<code>ai_share</code>" in page and "Data as of <strong>2026-11-26</strong>" in page
    schema = params.schema()
    for name in json.loads((built / "results.json").read_text())["parameters"]:
        assert f"<td>{escape(schema[name].label)}<br><code>{name}</code></td>" in page, name
    assert page.index('id="parameters"') > page.index('id="sources"')        # an appendix after the sources
    assert "AWS operating income" in page     # stale series are flagged


def test_every_parameter_has_a_short_distinct_label():
    labels = [p.label for p in params.schema().values()]
    assert all(0 < len(label) <= 45 for label in labels) and len(set(labels)) == len(labels)


def _data_table_names(built) -> set[str]:
    """The names of the data tables the executed notebooks publish (not charts)."""
    from analysis.views.present import TABLE_MIMETYPE
    return {o["data"][TABLE_MIMETYPE]["name"] for path in (built / "notebooks").glob("*.ipynb")
            for cell in nbformat.read(str(path), as_version=4).cells if cell.cell_type == "code"
            for o in cell.get("outputs", []) if TABLE_MIMETYPE in o.get("data", {})}


@pytest.mark.build
def test_data_index_lists_every_chart_once_with_its_file(built):
    page = (built / "index.html").read_text(encoding="utf-8")
    index = list(csv.DictReader((built / "data" / "index.csv").open(encoding="utf-8")))
    charts = [row for row in index if row["id"] not in _data_table_names(built)]      # data tables, not charts
    assert len(charts) == page.count('<figure class="chart">') >= 5
    assert len({row["id"] for row in index}) == len(index)
    outlook = (built / "data" / "erosion_by_year.csv").read_text(encoding="utf-8").splitlines()
    assert outlook[0].startswith("year,observed,accelerator_spend_usd_b,nvidia_revenue_usd_b") and len(outlook) == 1 + 9
    assert sorted(p.name for p in (built / "data").iterdir()) == sorted(["index.csv", *(Path(r["file"]).name for r in index)])
    assert all(row["description"] and f'href="{row["file"]}"' in page for row in index)


@pytest.mark.build
def test_same_inputs_give_byte_identical_reports(built, tmp_path):
    ds = data.load_dataset()
    # fresh kernels: the session's default report was built in kept ones (tests/conftest.py `warm`)
    again = report.build(tmp_path / "again", params.resolve({}, ds), params.schema(ds), ds, use_cache=False)
    files = sorted(str(p.relative_to(built)) for p in built.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(again)) for p in again.rglob("*") if p.is_file())
    for name in files:
        assert (again / name).read_bytes() == (built / name).read_bytes(), name


@pytest.mark.build
def test_default_run_reproduces_the_committed_notebook(built):
    """Byte for byte, once the cache key (which the committed notebooks do not carry) is taken out, and the static
    chart images, which only the committed notebooks carry (`analysis.views.images`): one beside every chart there,
    none in the build's."""
    for path in notebook_paths():
        nb = nbformat.read(str(built / "notebooks" / path.name), as_version=4)
        assert nb.metadata.pop(cache.METADATA_KEY)["cache_key"]
        committed = nbformat.read(str(path), as_version=4)
        charts = [output.data for cell in committed.cells for output in cell.get("outputs", [])
                  if VEGALITE_MIMETYPE in output.get("data", {})]
        assert all("image/png" in chart for chart in charts), path.name
        for chart in charts:
            del chart["image/png"]
        assert nbformat.writes(nb) == nbformat.writes(committed), path.name


@pytest.mark.build
def test_a_failed_run_keeps_the_previous_report(built, tmp_path, monkeypatch, capsys):
    from analysis.pipeline import cli
    from analysis.pipeline.runner import NotebookFailed

    def failing(*args, **kwargs):      # every input is validated first, so a failure here is a bug in a notebook
        raise NotebookFailed("01_capex.ipynb: cell 3 raised KeyError: '2019Q1'")
    monkeypatch.setattr(report, "execute_all", failing)
    target = tmp_path / "kept"
    shutil.copytree(built, target)
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert cli.main(["run", "--out", str(target)]) == 1
    assert capsys.readouterr().err == "error: notebook failed: 01_capex.ipynb: cell 3 raised KeyError: '2019Q1'\n"
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]   # no staging folder (nor lock) left behind


@pytest.mark.build
def test_scenario_with_an_override_changes_results_and_is_marked(tmp_path):
    out = tmp_path / "essay"
    result = run_cli("run", "--out", str(out), "--scenario", "essay-2024", "--set", "ai_share=0.75")
    assert result.returncode == 0, result.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["scenario"] == "essay-2024" and results["parameters"]["observed_through"] == 2023
    assert results["parameters"]["ai_share"] == 0.75                     # --set applies on top of the scenario
    ds = data.load_dataset()
    expected_ai_hardware = _amazon_capex_gross(ds, "2023Q3") * (24_843 / 48_344) * 0.75
    assert results["results"]["capex"]["focus_quarter_ai_hardware"]["value"] == pytest.approx(expected_ai_hardware)
    from analysis.data import scenarios
    from analysis.models import outlook
    ds = data.load_dataset()
    p = params.resolve({**scenarios.load("essay-2024")["values"], "ai_share": 0.75}, ds)
    expected = outlook.run(ds, p, params.schema(ds)).summary.total("nvidia_revenue", (2024, 2026))
    assert results["results"]["erosion"]["nvidia_revenue_near_term"]["value"] == pytest.approx(expected)
    assert results["results"]["erosion"]["nvidia_revenue_near_term"]["period"] == [2024, 2026]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "scenario essay-2024" in page and 'class="num changed">0.75<' in page


# --- the page in a real browser, offline --------------------------------------------------------------------

RENDERED = "Array.from(document.querySelectorAll('div.vega-chart')).filter(d => d.querySelector('svg.marks, canvas')).length"


def _open_report(offline, built):
    offline.page.goto((built / "index.html").as_uri(), wait_until="load")
    count = offline.page.locator("div.vega-chart").count()
    offline.page.wait_for_function(f"n => {RENDERED} === n", arg=count, timeout=30_000)
    return count


@pytest.mark.browser
@pytest.mark.build
def test_report_renders_every_chart_offline_with_a_description_and_its_data(built):
    with offline_page() as offline:
        count = _open_report(offline, built)
        marks = drawn_marks(offline)
        figures = offline.page.evaluate("""Array.from(document.querySelectorAll('figure.chart'))
            .filter(f => !f.closest('.what-if')).map(f => ({
            aria: f.querySelector('.vega-chart').getAttribute('aria-label'),
            caption: f.querySelector('figcaption .description').textContent.trim(),
            href: f.querySelector('figcaption a.csv').getAttribute('href')}))""")
        what_ifs = offline.page.evaluate("document.querySelectorAll('.what-if figure.chart').length")
        order = offline.page.evaluate(
            "Array.from(document.querySelectorAll('main > section, section.appendices > details')).map(e => e.id)")
        appendix_open = offline.page.evaluate("document.querySelector('details#parameters').open")
    assert count >= 5 and len(figures) == count - what_ifs
    assert all(n > 0 for n in marks), marks
    assert offline.blocked == [] and offline.errors == []
    index = {row["file"]: row for row in csv.DictReader((built / "data" / "index.csv").open(encoding="utf-8"))}
    for figure in figures:
        assert len(figure["caption"]) > 40 and figure["aria"] == figure["caption"]    # Vega's ARIA label = caption
        data_file = built / figure["href"]
        assert data_file.is_file() and len(data_file.read_text(encoding="utf-8").splitlines()) > 1, figure["href"]
        assert index[figure["href"]]["description"] == figure["caption"]
    assert order[:3] == ["answer", "how", notebook_paths()[0].stem]   # the answer, the method, then the summary
    assert order[-1] == "parameters" and appendix_open is False      # parameters: a collapsed appendix at the end


@pytest.mark.browser
@pytest.mark.build
def test_the_cross_customer_section_draws_every_chart_with_marks_for_every_owner(built):
    """Section 5 (owners): each of its charts draws marks in chromium, and the bar charts carry all five owners."""
    with offline_page() as offline:
        _open_report(offline, built)
        charts = offline.page.evaluate("""Array.from(document.querySelectorAll('section[id="05_owners"] div.vega-chart')).map(d => ({
            marks: d.querySelectorAll('svg.marks path, svg.marks rect, svg.marks line').length,
            text: Array.from(d.querySelectorAll('svg.marks text')).map(t => t.textContent)}))""")
    assert offline.blocked == [] and offline.errors == []
    assert len(charts) == 3 and all(c["marks"] > 10 for c in charts), charts
    for chart in charts:            # shares, Nvidia spend, P(> 25%): one legend entry per owner
        assert {"Amazon", "Google", "Microsoft", "Meta", "Oracle"} <= set(chart["text"]), chart["text"]
    results = json.loads((built / "results.json").read_text(encoding="utf-8"))["results"]["owners"]
    assert {"google_compute_share_2025", "five_owners_share_of_nvidia_datacenter_2025"} <= set(results)


@pytest.mark.browser
@pytest.mark.build
def test_the_content_security_policy_stops_a_script_that_slipped_into_the_page(built, tmp_path):
    """Whatever reaches the page despite escaping and the output filter, a script, an event handler or a style
    element does nothing, while every chart still draws (Vega runs under the same policy)."""
    shutil.copytree(built, tmp_path / "page")
    page = tmp_path / "page" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("<body>", "<body><script>document.title = 'PWNED'</script>"
                    "<img src=x onerror=\"document.title = 'PWNED'\"><style>body { display: none }</style>", 1),
                    encoding="utf-8")
    with offline_page() as offline:
        count = _open_report(offline, page.parent)
        title, shown = offline.page.title(), offline.page.evaluate("getComputedStyle(document.body).display")
    assert count >= 5 and "PWNED" not in title and shown != "none"
    assert len([e for e in offline.errors if "Content Security Policy" in e]) >= 3, offline.errors


@pytest.mark.browser
@pytest.mark.build
def test_report_prints_to_pdf_with_whole_charts_and_the_appendix(built):
    with offline_page(viewport={"width": 700, "height": 1000}) as offline:    # about A4's width less 12 mm margins
        _open_report(offline, built)
        offline.page.emulate_media(media="print")
        overflow = offline.page.evaluate("""Array.from(document.querySelectorAll('figure.chart svg.marks'))
            .filter(s => s.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length""")
        appendix_height = offline.page.evaluate("document.querySelector('details#parameters table').getBoundingClientRect().height")
        code_shown = offline.page.evaluate(
            "Array.from(document.querySelectorAll('details.code')).filter(d => d.getBoundingClientRect().height > 0).length")
        pdf = offline.page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) > 1
    assert overflow == 0 and appendix_height > 0 and code_shown == 0
    assert offline.blocked == [] and offline.errors == []
def _open_offline(page_path, script: str, arg=None):
    """Open a report page in headless chromium with every non-file request blocked; return (blocked requests,
    console and page errors, dialogs opened, what `script` evaluates to once the charts have rendered)."""
    with offline_page() as offline:
        offline.page.goto(page_path.as_uri(), wait_until="load")
        offline.page.wait_for_function(
            "() => Array.from(document.querySelectorAll('div.vega-chart')).every(d => d.querySelector('svg.marks, canvas'))",
            timeout=30_000)
        result = offline.page.evaluate(script, arg)
    return offline.blocked, offline.errors, offline.dialogs, result


# --- hostile data: every string from data/ and scenarios/ is inert text in the page -------------------------------

HOSTILE = {
    "markup": "<script>alert('markup')</script><img src=x onerror=alert('img')>",
    "image": "![pixel](http://127.0.0.1:9/pixel.png)",
    "heading": "# Injected heading",
    "link": "[click](javascript:alert('link'))",
}
HOSTILE_TEXT = " ".join(HOSTILE.values())


def _set_cell(path, key_column, key, column, value):
    """Set `column` to `value` in the rows of a data file whose `key_column` is `key`."""
    import pandas as pd
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert (frame[key_column] == key).any(), key
    frame.loc[frame[key_column] == key, column] = value
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A report built from data and scenarios whose text is hostile: markup, a markdown image to a local address,
    a heading line (as a cell's start), a javascript: link, and a javascript: source URL."""
    root = tmp_path_factory.mktemp("hostile")
    data_dir, scenario_dir = root / "data", root / "scenarios"
    shutil.copytree(DATA, data_dir)
    shutil.copytree(ROOT / "scenarios", scenario_dir)
    _set_cell(data_dir / "essay_claims.csv", "claim_id", "bottom-line", "quote", f"{HOSTILE['heading']} {HOSTILE_TEXT}")
    _set_cell(data_dir / "measured_throughput.csv", "gpu", "NVIDIA H100 80GB HBM3", "gpu", HOSTILE_TEXT)
    _set_cell(data_dir / "parameters.csv", "name", "nvaie_run_rate_usd_million", "rationale", HOSTILE_TEXT)
    _set_cell(data_dir / "parameters.csv", "name", "ai_share", "description", HOSTILE_TEXT)
    _set_cell(data_dir / "sources.csv", "id", "chipstrat-amazons-nvidia-entanglement", "url", "javascript:alert('url')")
    _set_cell(data_dir / "sources.csv", "id", "chipstrat-amazons-nvidia-entanglement", "title", HOSTILE_TEXT)
    _set_cell(data_dir / "sources.csv", "id", "amzn-fy25-10k", "note", HOSTILE_TEXT)
    base = scenario_dir / "base.yaml"
    lines = base.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0].startswith("description: ")
    base.write_text("".join([f"description: {json.dumps(HOSTILE_TEXT)}\n", *lines[1:]]), encoding="utf-8")
    data.write_manifest(data_dir)
    ds = data.load_dataset(data_dir)
    assert ds["measured_throughput"]["gpu"].iloc[0] == HOSTILE_TEXT                 # the notebook shows row 0
    os.environ[scenarios.SCENARIO_DIR_ENV] = str(scenario_dir)
    try:
        assert HOSTILE_TEXT in scenarios.load("base")["description"]
        return report.build(root / "report", params.resolve({}, ds), params.schema(ds), ds)
    finally:
        del os.environ[scenarios.SCENARIO_DIR_ENV]


@pytest.mark.build
def test_hostile_text_is_inert_in_the_page(hostile):
    page = (hostile / "index.html").read_text(encoding="utf-8")
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)     # the page without script bodies
    assert not re.search(r"<(img|h[1-6])\b[^>]*>[^<]*(pixel|Injected)", markup)
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|http://127)""", markup, re.I)
    assert "<img" not in markup and "&lt;img src=x onerror=alert(" in markup              # escaped, not an element
    assert markup.count("![pixel](http://127.0.0.1:9/pixel.png)") >= 4              # shown literally, as text


@pytest.mark.browser
@pytest.mark.build
def test_hostile_report_makes_no_request_opens_no_dialog_and_injects_no_element(hostile):
    blocked, errors, dialogs, found = _open_offline(hostile / "index.html", """() => (
        document.querySelectorAll('details').forEach(d => { d.open = true; }), {
        images: document.querySelectorAll('img').length,
        scripts: document.querySelectorAll('script:not([type="application/json"])').length,
        jsLinks: document.querySelectorAll('a[href^="javascript"]').length,
        injected: Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6, nav a'))
            .filter(e => e.textContent.includes('Injected')).length,
        shown: document.body.innerText.split('![pixel](http://127.0.0.1:9/pixel.png)').length - 1})""")
    assert blocked == [] and errors == [] and dialogs == []
    assert found["images"] == 0 and found["scripts"] == 2 and found["jsLinks"] == 0 and found["injected"] == 0
    assert found["shown"] >= 4, found                # the hostile text is there, as plain text


# --- the summary's numbers come from results.json --------------------------------------------------------------

NUMBER = re.compile(r"(?<![A-Za-z0-9.\-])-?\$?\d[\d,]*(?:\.\d+)?(?:[BM%]|/h)?(?![A-Za-z0-9])")


def _numbers_not_in(text: str, items: dict, thresholds: dict | None = None) -> list[str]:
    """Numbers in `text` that are neither a formatted value/p5/p95 of a results.json item, nor one of the verdict's
    stated share thresholds (results.json `verdict.thresholds`, as percentages), nor a calendar year."""
    from analysis.views.present import fmt
    allowed = {fmt(item[k], item["unit"]) for item in items.values() for k in ("value", "p5", "p95") if k in item}
    allowed |= {f"{thresholds[k]['value']:.0%}" for k in ("share_lower", "share_upper", "revenue_level")} if thresholds else set()
    return [n for n in NUMBER.findall(text) if n not in allowed and not re.fullmatch(r"(19|20)\d\d", n)]


@pytest.mark.build
def test_every_number_in_the_summary_comes_from_results_json(built):
    import nbformat
    everything = json.loads((built / "results.json").read_text())
    results, thresholds = everything["results"]["summary"], everything["verdict"]["thresholds"]
    nb = nbformat.read(str(built / "notebooks" / "00_summary.ipynb"), as_version=4)
    prose = [o["data"]["text/markdown"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if "text/markdown" in o.get("data", {})]
    answer = prose[0]
    found = NUMBER.findall(answer)
    assert len(found) >= 12, found                       # the answer quotes its numbers ...
    assert _numbers_not_in(answer, results, thresholds) == []        # ... and each one is in results.json
    # A number changed by hand is caught:
    edited = answer.replace(found[-1], "99.9%", 1) if found[-1].endswith("%") else answer.replace(found[-1], "$99.9B", 1)
    assert _numbers_not_in(edited, results, thresholds) != []
    # and the summary's items are the computed findings of the same parameters
    from analysis.models import outlook
    from analysis.sections import summary
    ds = data.load_dataset()
    p, schema = params.resolve({}, ds), params.schema(ds)
    computed = summary.key_findings(ds, p, schema, outlook.run(ds, p, schema, sensitivity=False))
    assert {f.key: f.value for f in computed.items} == pytest.approx({k: v["value"] for k, v in results.items()})


@pytest.mark.build
def test_every_result_key_the_ledger_cites_is_in_results_json(built):
    """A claim's finding that cites 'result key K' points at a number the report publishes."""
    results = json.loads((built / "results.json").read_text())["results"]
    keys = {key for section in results.values() for key in section}
    cited = {k for f in data.load_dataset()["essay_claims"]["finding"] for k in re.findall(r"result key ([a-z0-9_]+)", f)}
    assert cited and cited <= keys, sorted(cited - keys)


@pytest.mark.build
def test_results_json_has_every_years_threshold_probabilities_and_no_false_certainty(built):
    results = json.loads((built / "results.json").read_text())["results"]
    erosion = results["erosion"]
    for year in range(2022, 2031):
        for pct in (25, 50):
            assert f"p_asic_above_{pct}pct_{year}" in erosion
    for pct in (25, 50):
        assert erosion[f"year_asic_stays_above_{pct}pct"]["unit"] == "year"
        assert 0 <= erosion[f"share_never_stays_above_{pct}pct"]["value"] <= 1
    for section in results.values():
        for key, item in section.items():
            if item.get("p5") is not None:
                assert item["p5"] != item["p95"], key          # an interval of zero width would claim certainty


def test_notebooks_are_rendered_in_reading_order_whatever_order_they_finish_in(tmp_path):
    """The builder renders each notebook as it arrives from a kernel (`report._Pages`): a notebook waits for those
    before it, so the page, the brief's images and the CSV downloads written as they come are those of rendering
    them in order, and the CSVs are every download of the page (`write_downloads`' files)."""
    names = [path.name for path in notebook_paths()]
    for path in notebook_paths():
        shutil.copy(path, tmp_path / path.name)
    folders = [tmp_path / name for name in ("ordered", "arrived", "all")]
    for folder in folders[:2]:
        folder.mkdir()
    ordered, arrived = (report._Pages(names, use_cache=False, data=folder) for folder in folders[:2])
    for name in names:
        ordered.add(tmp_path / name)
    for name in reversed(names):
        arrived.add(tmp_path / name)
        assert len(arrived.bodies) == (len(names) if name == names[0] else 0)
    assert arrived.bodies == ordered.bodies and arrived.page == ordered.page and arrived.brief == ordered.brief
    assert arrived.brief and len(arrived.bodies) == len(names)
    write_downloads(arrived.page.downloads, folders[2])
    (folders[2] / "index.csv").unlink()
    written = [{p.name: p.read_bytes() for p in folder.iterdir()} for folder in folders]
    assert written[0] == written[1] == written[2] and len(written[0]) == len(arrived.page.downloads) > 20
