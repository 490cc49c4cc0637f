"""The one report builder: execute the notebooks, then write index.html, results.json and the executed notebooks.

A build goes to a staging folder beside the target and replaces the target only when complete (`analysis.outdir`),
so a failed or interrupted run never overwrites a good report.

Text from data, parameters and scenarios is inert in the page: templates escape it, notebook prose printed by code
(`say`, which interpolates data) is rendered by PROSE, which knows only paragraphs, emphasis and code (no headings,
links, images or HTML), and sources link only to http(s) URLs.
"""
from __future__ import annotations

import html
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jinja2
import mistune
import nbformat
import vl_convert

from analysis import freshness, outdir
from analysis.data import Dataset
from analysis.notebook_run import declared_parameters, execute_all, notebook_paths
from analysis.params import Parameter
from analysis.present import CHART_MIMETYPE, SECTION_MIMETYPE, fmt

TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("analysis", "templates"), autoescape=True,
                               keep_trailing_newline=True)
MARKDOWN = mistune.create_markdown(plugins=["table"])
PROSE = mistune.create_markdown(escape=True)
PROSE.block.rules = ["blank_line"]                    # everything else is a paragraph
PROSE.inline.rules = ["escape", "codespan", "emphasis", "linebreak", "softbreak"]
LINKABLE_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)
HIDDEN_INPUT_TAGS = {"parameters", "injected-parameters"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"<[^>]+>", "", text).lower()).strip("-")


def _markdown(text: str, toc: list, prefix: str) -> str:
    """Markdown to HTML; h1/h2 headings get ids and enter the table of contents."""
    def anchor(match):
        level, inner = match.group(1), match.group(2)
        ident = f"{prefix}-{_slug(inner)}"
        if level in ("1", "2"):
            toc.append({"level": int(level), "id": ident, "text": re.sub(r"<[^>]+>", "", inner)})
        return f'<h{level} id="{ident}">{inner}</h{level}>'
    return re.sub(r"<h([1-6])>(.*?)</h\1>", anchor, MARKDOWN(text))


def _script_json(payload) -> str:
    """JSON that cannot end or alter the <script> element holding it (every <, > and & as a JSON escape)."""
    return json.dumps(payload, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _output_html(output, toc: list, prefix: str, sections: list) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f'<pre class="stream">{html.escape(output["text"])}</pre>'
    if kind == "error":
        return f'<pre class="error">{html.escape(output["ename"])}: {html.escape(output["evalue"])}</pre>'
    data = output.get("data", {})
    if CHART_MIMETYPE in data:
        chart = data[CHART_MIMETYPE]
        return (f'<figure class="chart"><div class="vega-chart" id="{chart["id"]}"></div>'
                f'<script type="application/json" data-chart="{chart["id"]}">{_script_json(chart["spec"])}</script></figure>')
    if SECTION_MIMETYPE in data:
        sections.append(data[SECTION_MIMETYPE])
        return TEMPLATES.get_template("headlines.html.j2").render(section=data[SECTION_MIMETYPE], fmt=fmt)
    if "text/html" in data:
        return f'<div class="output-html">{data["text/html"]}</div>'
    if "text/markdown" in data:
        return f'<div class="prose">{PROSE(data["text/markdown"])}</div>'
    if "image/svg+xml" in data:
        return f'<div class="output-svg">{data["image/svg+xml"]}</div>'
    if "text/plain" in data:
        return f'<pre class="output-text">{html.escape(data["text/plain"])}</pre>'
    return ""


def render_notebook(nb: nbformat.NotebookNode, prefix: str, toc: list, sections: list) -> str:
    """One notebook as an HTML section: prose, outputs, and code folded away."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(f'<div class="prose">{_markdown(cell.source, toc, prefix)}</div>')
        elif cell.cell_type == "code":
            tags = set(cell.metadata.get("tags", []))
            label = "parameters" if tags & HIDDEN_INPUT_TAGS else "code"
            parts.append(f'<details class="code"><summary>{label}</summary><pre>{html.escape(cell.source)}</pre></details>')
            parts.extend(_output_html(output, toc, prefix, sections) for output in cell.outputs)
    return f'<section class="notebook" id="{prefix}">' + "\n".join(parts) + "</section>"


def _linkable(source: dict) -> dict:
    """A source for the page: its URL is kept as a link only if it is an http(s) address."""
    return {**source, "url": source["url"] if LINKABLE_URL.fullmatch(source["url"]) else ""}


def _parameter_rows(schema: dict[str, Parameter], values: dict, used: set[str]) -> list[dict]:
    return [{"name": name, "value": values[name], "default": p.default, "changed": values[name] != p.default,
             "unit": p.unit, "description": p.description, "source_id": p.source_id, "confidence": p.confidence}
            for name, p in schema.items() if name in used]


def build(out_dir: Path, values: dict, schema: dict[str, Parameter], dataset: Dataset, scenario: str | None = None) -> Path:
    """Execute every notebook with `values` and write the report folder atomically (see `outdir`)."""
    out_dir = outdir.check(out_dir, protected=(dataset.directory,))
    with outdir.claim(out_dir) as staging:
        (staging / "notebooks").mkdir()
        jobs, used = [], set()
        for path in notebook_paths():
            declared = declared_parameters(path)
            used.update(declared)
            overrides = {k: values[k] for k in declared if values[k] != schema[k].default}
            jobs.append((path, staging / "notebooks" / path.name, overrides))
        with ThreadPoolExecutor(max_workers=1) as side:
            bundle = side.submit(vl_convert.javascript_bundle)
            executed = execute_all(jobs, data_dir=dataset.directory)
            vega_bundle = bundle.result()
        toc, sections, bodies = [], [], []
        for path in executed:
            nb = nbformat.read(str(path), as_version=4)
            bodies.append(render_notebook(nb, path.stem, toc, sections))
        source_ids = sorted({sid for s in sections for sid in s["sources"]} |
                            {schema[name].source_id for name in used})
        sources = [_linkable(dataset.source(sid)) for sid in source_ids]
        stale = freshness.stale_series(dataset, values["as_of"])
        page = TEMPLATES.get_template("report.html.j2").render(
            title_suffix=f" — scenario {scenario}" if scenario else "", as_of=values["as_of"], data_version=dataset.version, toc=toc, bodies=bodies,
            parameters=_parameter_rows(schema, values, used), sources=sources, stale=stale.to_dict("records"),
            vega_bundle=vega_bundle.replace("</script", "<\\/script"))
        (staging / "index.html").write_text(page, encoding="utf-8")
        results = {"as_of": values["as_of"], "data_version": dataset.version, "scenario": scenario,
                   "parameters": {name: values[name] for name in sorted(used)},
                   "results": {s["section"]: {r["key"]: {"label": r["label"], "value": r["value"], "unit": r["unit"]}
                                              for r in s["results"]} for s in sections},
                   "sources": source_ids}
        (staging / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out_dir
