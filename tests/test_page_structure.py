"""The page is assembled from what the notebooks declare, never from their HTML: headings (ids, anchors, table of
contents) from mistune's parse, a table's size from the entry `present.table` writes beside it, and the headline
charts from the mark their section declares (`Section.headline_charts`)."""
from __future__ import annotations

import altair as alt
import nbformat
import pandas as pd
import pytest

from analysis import data
from analysis.data import params
from analysis.pipeline import cache, report
from analysis.pipeline.runner import notebook_paths
from analysis.sections.base import Section, SectionState
from analysis.views import exhibits, images, present

MARKDOWN = """# Run the `model`

Some *prose*.

```
# a comment in a code block, not a heading
```

## Inputs: `capex` & *rent*

### What if? The *landlord*

#### Small print
"""


@pytest.fixture
def shown(monkeypatch):
    """Every output `present` displays, in order, as a notebook output."""
    outputs: list = []
    monkeypatch.setattr(present, "display",
                        lambda obj, raw=False: outputs.append(nbformat.v4.new_output("display_data", data=obj)))
    monkeypatch.setenv(images.STATIC_IMAGES_ENV, "off")
    return outputs


def _notebook(*cells) -> nbformat.NotebookNode:
    """A notebook of markdown (str) and code cells (a list of outputs)."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(c) if isinstance(c, str)
                                           else nbformat.v4.new_code_cell("show()", outputs=c) for c in cells])


def _chart(title: str) -> alt.Chart:
    frame = pd.DataFrame({"year": [2024, 2025], "share": [0.25, 0.5]})
    return alt.Chart(frame, title=alt.TitleParams(title, subtitle=[title])).mark_line().encode(x="year:O", y="share:Q")


def test_headings_get_ids_and_anchors_and_h1_h2_enter_the_contents_by_their_words(shown):
    toc: list = []
    present.table(pd.DataFrame({"a": range(report.LONG_TABLE_ROWS + 1)}), {})
    page = report.Page()
    body = report.render_notebook(_notebook(MARKDOWN, shown), "nb", toc, [], page=page)
    assert toc == [{"level": 1, "id": "nb-run-the-model", "text": "Run the model"},
                   {"level": 2, "id": "nb-inputs-capex-rent", "text": "Inputs: capex & rent"}]
    assert ('<h1 id="nb-run-the-model">Run the <code>model</code><a class="anchor" href="#nb-run-the-model" '
            'aria-label="Link to this heading">#</a></h1>') in body
    assert '<h2 id="nb-inputs-capex-rent">Inputs: <code>capex</code> &amp; <em>rent</em><a class="anchor"' in body
    assert '<h3 id="nb-what-if-the-landlord">What if? The <em>landlord</em><a' in body
    assert '<h4 id="nb-small-print">Small print<a' in body                 # every level has its id and anchor
    assert "a comment in a code block" in body and 'id="nb-a-comment' not in body
    # the moved table is titled by the last h1-h3 before it, in words (h4 is too small to title it)
    assert [t["title"] for t in page.tables] == ["What if? The landlord"]


def test_a_long_table_moves_by_its_declared_rows_not_by_its_html(shown):
    present.table(pd.DataFrame({"a": range(report.LONG_TABLE_ROWS + 1)}), {})
    present.table(pd.DataFrame({"a": range(report.LONG_TABLE_ROWS)}), {})
    assert [o.data[present.EXHIBIT_MIMETYPE] for o in shown] == [{"rows": report.LONG_TABLE_ROWS + 1},
                                                                 {"rows": report.LONG_TABLE_ROWS}]
    many = "<tr><td class=\"num\">1</td></tr>" * 20        # a table of 20 body rows that declares 2 stays in place
    fake = nbformat.v4.new_output("display_data", data={
        "text/html": f'<table class="data mathjax_ignore tex2jax_ignore"><thead><tr><th>a</th></tr></thead>'
                     f'<tbody>{many}</tbody></table>', present.EXHIBIT_MIMETYPE: {"rows": 2}, "text/plain": "a"})
    undeclared = nbformat.v4.new_output("display_data", data={k: v for k, v in fake.data.items()
                                                              if k != present.EXHIBIT_MIMETYPE})
    assert present.emitted(fake) and not present.emitted(undeclared)
    page = report.Page()
    body = report.render_notebook(_notebook("## Tables", [*shown, fake, undeclared]), "nb", [], [], page=page)
    assert [(t["title"], t["rows"]) for t in page.tables] == [("Tables", report.LONG_TABLE_ROWS + 1)]
    assert body.count('<p class="moved">') == 1 and body.count('<div class="output-html">') == 2
    assert body.count(many) == 1                 # the fake shown once (in place), the undeclared not at all


@pytest.mark.parametrize("entry", [{"rows": -1}, {"rows": True}, {"rows": 2.0}, {"rows": 2, "x": 1}, [2]])
def test_a_malformed_size_entry_is_not_an_output_present_emits(shown, entry):
    present.table(pd.DataFrame({"a": [1, 2]}), {})
    shown[0].data[present.EXHIBIT_MIMETYPE] = entry
    assert not present.emitted(shown[0])


def test_the_charts_marked_headline_are_lifted_in_order_from_whichever_notebook(shown):
    present.show_chart(_chart("Plain first"))
    present.show_chart(_chart("Marked second"), headline=True)
    present.show_chart(_chart("Marked third"), headline=True)
    assert [o.data[present.EXHIBIT_MIMETYPE]["headline"] for o in shown] == [False, True, True]
    page = report.Page()
    first = report.render_notebook(_notebook("# One", [shown[0]]), "one", page.toc, page.sections, page.downloads, page)
    second = report.render_notebook(_notebook("# Two", shown[1:]), "two", page.toc, page.sections, page.downloads, page)
    assert "Plain first" in first and "Marked" not in second
    lifted = [(spec["title"]["text"], notebook) for spec, _, notebook in page.headline_specs]
    assert lifted == [("Marked second", "two"), ("Marked third", "two")]
    assert [("Marked second" in html, "Marked third" in html) for html in page.headline_charts] == [(True, False),
                                                                                                   (False, True)]
    shown[0].data[present.EXHIBIT_MIMETYPE] = {"headline": "yes"}
    assert not present.emitted(shown[0])


def test_a_section_marks_the_charts_of_the_parts_it_declares_and_no_others():
    def plain(v, x):
        x.chart(_chart("a"))

    def when(v, x):
        x.say("when?")
        x.chart(_chart("b"))
    ds = data.load_dataset()
    section = Section("test", "99_test.ipynb", "Test", (), SectionState, (plain, when), headline_charts=("when",))
    result = section.compute(ds, params.resolve({}, ds))
    assert [(name, e.headline) for name, part in result.parts.items() for e in part
            if isinstance(e, exhibits.Chart)] == [("plain", False), ("when", True)]


def test_the_committed_notebooks_mark_exactly_the_summarys_when_charts():
    """The first screen's "when?" charts are the two charts of the summary's `answer_first`, as it declares; every
    other chart and every table carries its entry too (strict nbval compares it)."""
    marked, charts, tables = [], 0, 0
    for path in notebook_paths():
        for cell in nbformat.read(str(path), as_version=4).cells:
            for output in cell.get("outputs", []):
                data_ = output.get("data", {})
                if present.VEGALITE_MIMETYPE in data_:
                    charts += 1
                    if data_[present.EXHIBIT_MIMETYPE]["headline"]:
                        marked.append((path.stem, data_["text/plain"]))
                elif "text/html" in data_ and "text/markdown" not in data_:
                    tables += 1
                    assert isinstance(data_[present.EXHIBIT_MIMETYPE]["rows"], int)
    assert [stem for stem, _ in marked] == ["00_summary", "00_summary"] and charts > 10 and tables > 10
    assert "ASIC share of spend" in marked[0][1] and "25%" in marked[1][1]


def test_the_plan_says_which_sections_declare_headline_charts(tmp_path, monkeypatch):
    """A build warms the chart renderer for the brief only when a section with headline charts executes."""
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path))
    ds = data.load_dataset()
    planned = report.plan(ds, params.schema(ds))
    assert [p.notebook for p in planned if p.headline_charts] == ["00_summary.ipynb"]
    assert report.plan(ds, params.schema(ds)) == planned          # read back from the stored plan


@pytest.mark.parametrize("owner", ["amazon", "google"])
def test_the_summary_marks_its_when_charts_for_any_owner(owner):
    """The summary declares `answer_first`'s charts headline charts; another owner's `answer_first` (owner_view) keeps
    the part's name, so its two charts are marked too, and no other chart is."""
    from analysis.sections.summary import SECTION
    ds = data.load_dataset()
    result = SECTION.compute(ds, params.resolve({"owner": owner}, ds))
    marks = [(name, e.headline) for name, part in result.parts.items() for e in part if isinstance(e, exhibits.Chart)]
    assert [name for name, headline in marks if headline] == ["answer_first", "answer_first"]
    assert all(not headline for name, headline in marks if name != "answer_first")
