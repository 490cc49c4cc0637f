"""The one report builder: execute the notebooks, then write index.html, results.json and the executed notebooks.

A build goes to a staging folder beside the target and replaces the target only when complete (`analysis.pipeline.outdir`),
so a failed or interrupted run never overwrites a good report.

Text from data, parameters and scenarios is inert in the page: templates escape it, notebook prose printed by code
(`say`, which interpolates data) is rendered by PROSE, which knows only paragraphs, emphasis and code (no headings,
links, images or HTML), and sources link only to http(s) URLs.
"""
from __future__ import annotations

import base64
import dataclasses
import html
import importlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import mistune
import nbformat
from nbformat.v4 import rwbase

from analysis.pipeline import cache, charts, citation, front, outdir, workbook
from analysis.pipeline.page import (STATIC_POLICY, TEMPLATES, chart_html, linkable, page_assets, register_download, slug, strict_json,
                                 vega_script, what_if_html, write_download, write_download_index)
from analysis.models import fleet, freshness
from analysis.models.horizons import thresholds
from analysis.views import images, likelihood
from analysis.data import FORECASTS_DIR, Dataset, snapshot
from analysis.data.memo import per_dataset
from analysis.data.vocab import LOW_CONFIDENCE_SOURCE_DOMAINS
from analysis.pipeline.runner import NOTEBOOK_DIR, Job, Workers, execute_all, notebook_paths
from analysis.data.params import Parameter, Params
from analysis.views.present import (EXHIBIT_MIMETYPE, SECTION_MIMETYPE, TABLE_MIMETYPE, VEGALITE_MIMETYPE, WHAT_IF_MIMETYPE, PROSE,
                                   emitted, fmt, unit_label)

HIDDEN_INPUT_TAGS = {"parameters", "injected-parameters"}
#: What results.json keeps of a headline item: its number with interval and period (its first and last year: a key
#: names a role, never a year), and a hindcast or track-record row's outcome and scores.
RESULT_FIELDS = ("label", "value", "unit", "p5", "p95", "period", "year", "undefined", "outcome", "error", "inside_p5_p95",
                 "covered_90", "crps", "wis", "brier", "persistence", "outside_view", "coverage_90", "resolves")
LONG_TABLE_ROWS = 8        # a table with more body rows moves to the appendix, leaving a link in its place
TITLING_LEVELS = 3         # a moved table is titled by the last heading of level 1 to this before it


@dataclass
class Page:
    """What rendering the notebooks collects for the page beside their bodies: table-of-contents entries, the
    sections' headline results, the data files, the long tables moved to the appendix and the headline charts."""
    toc: list = field(default_factory=list)
    sections: list = field(default_factory=list)
    downloads: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    headline_charts: list = field(default_factory=list)
    headline_specs: list = field(default_factory=list)    # (Vega-Lite spec, text description, notebook) of each, for the brief


class _Headings(mistune.HTMLRenderer):
    """Markdown to HTML for a notebook's markdown cells: each heading gets an id (`prefix`-slug of its words) and an
    anchor link, h1/h2 enter the table of contents `toc`, and `seen` lists every heading's (level, words) in order.
    A heading's words are read from its parsed inline tokens (code and emphasis as their text), never from HTML."""

    def __init__(self, prefix: str, toc: list) -> None:
        super().__init__(escape=True)
        self.prefix, self.toc = prefix, toc
        self.seen: list[tuple[int, str]] = []

    def render_token(self, token: dict, state: mistune.BlockState) -> str:
        if token["type"] == "heading":
            token["attrs"]["words"] = _words(token["children"])
        return super().render_token(token, state)

    def heading(self, text: str, level: int, **attrs: str) -> str:
        words = attrs["words"]
        ident = f"{self.prefix}-{slug(words)}"
        self.seen.append((level, words))
        if level <= 2:
            self.toc.append({"level": level, "id": ident, "text": words})
        return (f'<h{level} id="{ident}">{text}<a class="anchor" href="#{ident}" aria-label="Link to this heading">#</a>'
                f'</h{level}>\n')


def _words(tokens: list[dict]) -> str:
    """The text of parsed inline tokens, without markup (a line break as a space)."""
    return "".join(t["raw"] if "raw" in t else _words(t["children"]) if "children" in t else " " for t in tokens)


def _markdown(text: str, toc: list, prefix: str) -> tuple[str, list[tuple[int, str]]]:
    """Markdown to HTML (see _Headings) and its headings' (level, words) in order."""
    headings = _Headings(prefix, toc)
    rendered = mistune.create_markdown(renderer=headings, plugins=["table"])(text)
    return cast(str, rendered), headings.seen      # the HTML renderer gives text


def _output_html(output, prefix: str, page: Page, heading: str) -> str:
    """An output as HTML; only the kinds `present` emits are shown (`present.emitted`), any other as nothing."""
    if not emitted(output):
        return ""
    if output["output_type"] == "stream":
        return f'<pre class="stream">{html.escape(output["text"])}</pre>'
    data = output["data"]
    if VEGALITE_MIMETYPE in data:
        shown = chart_html(data[VEGALITE_MIMETYPE], page.downloads)
        if not data[EXHIBIT_MIMETYPE]["headline"]:
            return shown
        page.headline_charts.append(shown)               # declared a headline chart: on the first screen instead
        page.headline_specs.append((data[VEGALITE_MIMETYPE], data["text/plain"], prefix))
        return ""
    if TABLE_MIMETYPE in data:
        table = data[TABLE_MIMETYPE]
        if any(d["id"] == table["name"] for d in page.downloads):
            raise ValueError(f"data table {table['name']!r}: the name is already taken")
        entry = register_download(page.downloads, table["name"], table["title"], table["description"], table["columns"], table["rows"])
        return (f'<p class="download">Data table <a class="csv" href="{entry["file"]}">{html.escape(entry["id"])}.csv</a>: '
                f'{html.escape(table["description"])}</p>')
    if WHAT_IF_MIMETYPE in data:
        return what_if_html(data[WHAT_IF_MIMETYPE], page.downloads)
    if SECTION_MIMETYPE in data:
        page.sections.append(data[SECTION_MIMETYPE])
        return ""                                   # every section's headline numbers are in an appendix
    if "text/markdown" in data:                 # prose (`say`) carries HTML for JupyterLab too: the page renders it itself
        return f'<div class="prose">{PROSE(data["text/markdown"])}</div>'
    if "text/html" in data:                     # a table (`present.table`), its body rows declared beside it
        rows = data[EXHIBIT_MIMETYPE]["rows"]
        if rows > LONG_TABLE_ROWS:
            ident = f"table-{prefix}-{len(page.tables) + 1}"
            page.tables.append({"id": ident, "title": heading, "rows": rows, "html": data["text/html"]})
            return (f'<p class="moved">Table ({rows} rows): <a href="#{ident}">{html.escape(heading)}</a>, '
                    'in the appendix of long tables.</p>')
        return f'<div class="output-html">{data["text/html"]}</div>'
    return f'<pre class="output-text">{html.escape(data["text/plain"])}</pre>'


def render_notebook(nb: nbformat.NotebookNode, prefix: str, toc: list, sections: list,
                    downloads: list | None = None, page: Page | None = None) -> str:
    """One notebook as an HTML section: prose, outputs, and code folded away; charts and data tables are added to
    `downloads` (the files the report writes to data/), tables declaring more than LONG_TABLE_ROWS body rows move to
    `page.tables` (the appendix, titled by the heading they follow) and the charts declared headline charts move to
    `page.headline_charts` (the first screen), in order."""
    page = page or Page()
    page.toc, page.sections = toc, sections
    page.downloads = [] if downloads is None else downloads
    parts, heading = [], nb.metadata.get("title", prefix)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            body, headings = _markdown(cell.source, toc, prefix)
            parts.append(f'<div class="prose">{body}</div>')
            heading = next((words for level, words in reversed(headings) if level <= TITLING_LEVELS), heading)
        elif cell.cell_type == "code":
            tags = set(cell.metadata.get("tags", []))
            label = "parameters" if tags & HIDDEN_INPUT_TAGS else "code"
            parts.append(f'<details class="code"><summary>{label}</summary><pre>{html.escape(cell.source)}</pre></details>')
            parts.extend(_output_html(output, prefix, page, heading) for output in cell.outputs)
    return f'<section class="notebook" id="{prefix}">' + "\n".join(parts) + "</section>"


def low_confidence_sources(dataset: Dataset) -> set[str]:
    """Ids of the sources whose site is a copy, mirror, summary or repost (vocab.LOW_CONFIDENCE_SOURCE_DOMAINS)."""
    sources = dataset["sources"]
    host = sources["url"].fillna("").map(lambda url: (urlsplit(url).hostname or "").removeprefix("www."))
    return set(sources.loc[host.isin(LOW_CONFIDENCE_SOURCE_DOMAINS), "id"])


def _parameter_rows(schema: dict[str, Parameter], values: Params, used: set[str], weak: set[str]) -> list[dict]:
    """The parameter appendix's rows; `weak` = low_confidence_sources, flagged beside the value's source."""
    return [{"name": name, "label": p.title, "value": values[name], "default": p.default,
             "changed": values[name] != p.default, "unit": unit_label(p.unit), "description": p.description,
             "source_id": p.source_id, "confidence": p.confidence, "low_confidence": p.source_id in weak}
            for name, p in schema.items() if name in used]


@dataclass(frozen=True)
class Planned:
    """One section as a build needs it: its notebook, the parameters it reads, whether it shows the forecast and
    whether it declares headline charts (the brief draws them)."""
    notebook: str
    parameters: tuple[str, ...]
    uses_forecast: bool
    headline_charts: bool


#: The dataset's snapshot (Arrow IPC, about 10 ms to write), once per Dataset object: `watch` builds on one again and
#: again.
_snapshot = per_dataset(snapshot)


def plan(dataset: Dataset, schema: dict[str, Parameter]) -> list[Planned]:
    """Every section, in reading order: the plan stored for this data version and code (`cache.stored_plan`), if it
    names exactly the notebooks in the notebook folder and only parameters of the schema; else computed from
    `analysis.sections` (imported only then: the section modules import altair and scipy) and stored."""
    try:
        planned = [Planned(e["notebook"], tuple(e["parameters"]), e["uses_forecast"], e["headline_charts"])
                   for e in cache.stored_plan(dataset.version) or ()]
    except (KeyError, TypeError):
        planned = []
    if [p.notebook for p in planned] == [path.name for path in notebook_paths(NOTEBOOK_DIR)] and all(
            isinstance(p.uses_forecast, bool) and isinstance(p.headline_charts, bool) and all(isinstance(n, str) and n in schema for n in p.parameters)
            for p in planned):
        return planned
    from analysis.sections import SECTIONS
    planned = [Planned(s.notebook, s.parameter_names(dataset), s.uses_forecast, bool(s.headline_charts))
               for s in SECTIONS.values()]
    cache.store_plan(dataset.version, [dataclasses.asdict(p) for p in planned])
    return planned


def _run_notebooks(folder: Path, sections: list[Planned], values: Params, schema: dict[str, Parameter],
                   dataset: Dataset, use_cache: bool, workers: Workers | None, progress: Callable[[str], None],
                   meanwhile: Callable[[], None], ready: Callable[[Path], None]) -> tuple[list[Path], dict[str, str], set[str]]:
    """Execute every section's notebook into `folder`, or copy it from the cache when its key is stored there
    (`analysis.pipeline.cache`); every execution is stored; `meanwhile()` runs while the kernels do, and `ready(path)`
    as each notebook is in place (the cached ones while the kernels run). The notebooks of the sections that show the
    forecast run one after the other in one kernel, which computes the forecast once for them, but the last, which a
    free worker takes (`runner.chains`).
    Returns the executed notebooks in reading order, their cache keys and the parameters the sections read."""
    code, inputs = cache.code_digest(), cache.inputs_digest()
    jobs: list[Job] = []
    keys: dict[str, str] = {}
    used: set[str] = set()
    reused: list[Path] = []
    started, finished = time.monotonic(), itertools.count(1)
    # Whether the brief's images may need drawing: a notebook with headline charts runs with parameters of its own
    # (with the defaults, its charts are the committed notebook's, whose images the brief takes: `_brief_images`).
    brief_changes = False

    def done(path: Path, how: str) -> None:
        progress(f"[{next(finished)}/{len(sections)}] {path.name} {how} ({time.monotonic() - started:.1f} s)")
    for section in sections:
        path, names = NOTEBOOK_DIR / section.notebook, section.parameters
        used.update(names)
        target = folder / path.name
        keys[path.name] = key = cache.notebook_key(path, {k: values[k] for k in names}, dataset.version, code, inputs)
        stored = cache.load(key) if use_cache else None
        if stored is None:
            overrides = {k: values[k] for k in names if values[k] != schema[k].default}
            jobs.append(Job(path, target, {"overrides": overrides} if overrides else {}, key, section.uses_forecast))
            brief_changes |= section.headline_charts and bool(overrides)
        else:
            target.write_bytes(stored)
            reused.append(target)
            done(path, "reused from the cache")

    def meanwhile_and_warm() -> None:     # vl-convert's engine starts while the kernels run; the brief draws later
        meanwhile()
        if brief_changes:
            images.start_renderer()
        for target in reused:
            ready(target)

    keys_of = {job.source: job.key for job in jobs}

    def executed(source: Path) -> None:     # stored as it comes in, while other kernels run
        done(source, "executed")
        if key := keys_of[source]:
            cache.store(key, (folder / source.name).read_bytes())
        ready(folder / source.name)
    execute_all(jobs, dataset=dataset, on_done=executed, meanwhile=meanwhile_and_warm, static_images=False,
                pool=workers)
    return [folder / s.notebook for s in sections], keys, used


def _brief_images(specs: list[tuple[dict, str, str]], use_cache: bool) -> list[tuple[str, str]]:
    """(PNG as base64, text description) of each of the brief's charts, from (spec, text, notebook stem): the
    committed notebook's image of the same spec if it has one (`charts.committed_images`), else rendered (kept in the
    cache folder if it is used) from the spec as `present.chart_bundle` renders it (before it adds `$schema`): the
    same image as the committed notebook's."""
    kept = cache.cache_dir() if use_cache else None
    folder = kept / "charts" if kept else None
    committed = {stem: charts.committed_images(NOTEBOOK_DIR / f"{stem}.ipynb", VEGALITE_MIMETYPE)
                 for stem in dict.fromkeys(stem for _, _, stem in specs)}
    return [(base64.b64encode(charts.png({k: v for k, v in spec.items() if k != "$schema"}, folder,
                                         cache.code_digest(), committed[stem])).decode("ascii"), text)
            for spec, text, stem in specs]


class _Pages:
    """The executed notebooks rendered for the page in reading order as they come in (`add`; a notebook waits for
    those before it), with their CSV downloads written into `data` as they are registered, and the brief's chart
    images rendered as soon as their notebook is (`brief`), so that all of it is done while kernels still run.
    `order` is the notebooks' reading order."""

    def __init__(self, order: list[str], use_cache: bool, data: Path) -> None:
        self.order, self.use_cache, self.data = order, use_cache, data
        self.page = Page()
        self.bodies: list[str] = []
        self.arrived: set[str] = set()
        self.brief: list[tuple[str, str]] = []       # (PNG as base64, text) of page.headline_specs, in order
        self.written = 0                              # page.downloads written into `data`

    def add(self, path: Path) -> None:
        self.arrived.add(path.name)
        while len(self.bodies) < len(self.order) and self.order[len(self.bodies)] in self.arrived:
            self._render(path.with_name(self.order[len(self.bodies)]))
        for entry in self.page.downloads[self.written:]:
            write_download(entry, self.data)
        self.written = len(self.page.downloads)
        self.brief += _brief_images(self.page.headline_specs[len(self.brief):], self.use_cache)

    def _render(self, path: Path) -> None:
        """Checked by the cache (`cache.load`) or just written by a kernel: not validated again, and read as
        `nbformat.reader.reads` reads a version 4 notebook, but with each JSON object made a NotebookNode as it is
        parsed rather than by `from_dict`'s walk over the whole tree afterwards (0.048 -> 0.020 s of CPU for the
        six notebooks)."""
        nb = rwbase.strip_transient(rwbase.rejoin_lines(json.loads(path.read_text(encoding="utf-8"),
                                                                   object_hook=nbformat.NotebookNode)))
        page = self.page
        self.bodies.append(render_notebook(nb, path.stem, page.toc, page.sections, page.downloads, page))


def build(out_dir: Path, values: Params, schema: dict[str, Parameter], dataset: Dataset, scenario: str | None = None,
          use_cache: bool = True, progress: Callable[[str], None] = lambda line: None,
          workers: Workers | None = None) -> Path:
    """Run every notebook with `values` (reusing cached executions unless `use_cache` is false; in `workers` if
    given, kept warm by the caller) and write the report folder atomically (see `outdir`); `progress` receives one
    line per notebook."""
    out_dir = outdir.check(out_dir, protected=(dataset.directory, cache.protected_dir()))
    with outdir.claim(out_dir) as staging:
        (staging / "notebooks").mkdir()
        (staging / "data").mkdir()
        cache.store_tables(dataset.version, _snapshot(dataset))     # unchanged data are then validated once
        importlib.import_module("vl_convert")    # a broken environment stops here, before any worker or kernel starts
        bundle = []         # vl-convert holds the GIL while it builds the bundle: build it here, not in a thread
        planned = plan(dataset, schema)
        pages = _Pages([p.notebook for p in planned], use_cache, staging / "data")
        executed, keys, used = _run_notebooks(staging / "notebooks", planned, values, schema, dataset, use_cache,
                                              workers, progress, meanwhile=lambda: bundle.append(vega_script()),
                                              ready=pages.add)
        if len(pages.bodies) < len(executed):
            raise RuntimeError(f"notebooks not rendered: {sorted(set(p.name for p in executed) - pages.arrived)}")
        page, bodies = pages.page, pages.bodies
        sections, downloads = page.sections, page.downloads
        source_ids = sorted({sid for s in sections for sid in s["sources"]} |
                            {schema[name].source_id for name in used})
        sources = [linkable(dataset.source(sid)) for sid in source_ids]
        stale = freshness.stale_series(dataset, values.as_of)
        found = {s["section"]: {r["key"]: r for r in s["results"]} for s in sections}
        parameters = _parameter_rows(schema, values, used, low_confidence_sources(dataset))
        levels = thresholds(dataset)
        answer = front.answer(found, levels, {p["label"]: p["value"] for p in parameters if p["changed"]}, scenario)
        release = citation.latest_release(FORECASTS_DIR)
        context = dict(title_suffix=f" — scenario {scenario}" if scenario else "", as_of=values.as_of,
                       data_version=dataset.version, verdict=answer, numbers=front.key_numbers(found, levels),
                       values=values, parameters=parameters, likelihood_scale=likelihood.SCALE, bin_text=likelihood.bin_text,
                       fmt=fmt, origins=found.get("erosion", {}).get("hindcast_model_origins", {}).get("value"))
        assets = page_assets(bundle[0])
        (staging / "index.html").write_text(TEMPLATES.get_template("report.html.j2").render(
            **context, headline_charts=page.headline_charts, toc=page.toc, bodies=bodies, tables=page.tables,
            sections=sections, sources=sources, stale=stale.to_dict("records"), downloads=downloads,
            assets=assets), encoding="utf-8")
        (staging / "brief.html").write_text(TEMPLATES.get_template("brief.html.j2").render(
            **context, headline_pngs=pages.brief, policy=STATIC_POLICY, drivers=front.drivers(found),
            hindcast=found.get("erosion", {}).get("hindcast_coverage_90"), owner=fleet.owner_label(dataset, values.owner),
            release=release, cite=citation.citation(release=release)), encoding="utf-8")
        write_download_index(downloads, staging / "data")
        published = {s["section"]: {r["key"]: {k: r[k] for k in RESULT_FIELDS if k in r} for r in s["results"]}
                     for s in sections}
        results = {"as_of": values.as_of, "data_version": dataset.version, "scenario": scenario,
                   "parameters": {name: values[name] for name in sorted(used)},
                   "results": published,
                   "verdict": answer, "sources": source_ids,
                   "notebooks": {name: {"cache_key": key} for name, key in keys.items()}}
        (staging / "results.json").write_text(strict_json(results), encoding="utf-8")
        workbook.write(staging / "report.xlsx", published, downloads, dataset, schema, values, used)
    return out_dir
