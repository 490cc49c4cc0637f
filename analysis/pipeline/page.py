"""The HTML page every report and comparison is made of: templates, the embedded Vega bundle and the page's
Content-Security-Policy, interactive charts and what-if boxes with their data files, and inert CSV and JSON.

Text from data, parameters and scenarios is inert in the page: templates escape it, and sources link only to
http(s) URLs; a CSV cell never starts a spreadsheet formula (`inert_cell`)."""
from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import math
import re
import sys
from pathlib import Path

import jinja2
import markupsafe

from analysis.data.vocab import NUMBER
from analysis.pipeline.checked_file import read_verified, write_atomic
from analysis.views.chart_text import chart_data, chart_name, chart_subtitle, chart_title

#: Where the Vega bundle is kept: beside the installed packages (see `vega_bundle`).
BUNDLE_DIR = Path(sys.prefix) / "share" / "aws-accelerators"
TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("analysis", "templates"), autoescape=True,
                               keep_trailing_newline=True)
LINKABLE_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")       # what spreadsheets evaluate at the start of a cell


def slug(text: str) -> str:
    """An id from plain text (a heading's words, a chart's name): lower-case letters and digits joined by '-'."""
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’]", "", text).lower()).strip("-")


def script_json(payload) -> str:
    """JSON that cannot end or alter the <script> element holding it (every <, > and & as a JSON escape)."""
    return json.dumps(payload, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def strict_json(payload) -> str:
    """Indented JSON that any parser reads: NaN and infinities (which JSON has not) become null."""
    def plain(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return [plain(v) for v in value] if isinstance(value, (list, tuple)) else value
    return json.dumps(plain(payload), indent=2, sort_keys=True, allow_nan=False) + "\n"


def vega_script() -> str:
    """The Vega bundle as the text of a page's <script> element (no "</script" inside it)."""
    return vega_bundle().replace("</script", "<\\/script")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


#: The Content-Security-Policy of a page without scripts (the brief, a sweep's page): nothing is fetched and no
#: script runs; its own inline style applies, images only as data: URLs.
STATIC_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def page_assets(bundle: str) -> dict:
    """What a page embeds besides its content: its style sheet, its two scripts (the Vega bundle `bundle`, from
    `vega_script`, and page.js) and a Content-Security-Policy that lets nothing else in. Nothing is fetched
    (default-src 'none', images only as data: URLs); the style sheet and the scripts apply only if their SHA-256
    matches, so a <script> or <style> that slipped into the page does nothing; 'unsafe-eval' because Vega compiles
    its expressions with `new Function` (measured: without it no chart draws)."""
    style = TEMPLATES.get_template("page.css").render()
    scripts = [bundle, TEMPLATES.get_template("page.js").render()]
    policy = (f"default-src 'none'; script-src {' '.join(map(_sha256, scripts))} 'unsafe-eval'; "
              f"style-src {_sha256(style)}; img-src data:; base-uri 'none'; form-action 'none'")
    return {"style": style, "scripts": scripts, "policy": policy}


def register_download(downloads: list, ident: str, title: str, description: str, columns: list, rows: list) -> dict:
    """Register a data file of the page (data/ID.csv); ids are unique in page order."""
    taken = {d["id"] for d in downloads}
    unique, n = ident, 1
    while unique in taken:
        n += 1
        unique = f"{ident}-{n}"
    entry = {"id": unique, "title": title, "description": description, "file": f"data/{unique}.csv",
             "columns": columns, "rows": rows}
    downloads.append(entry)
    return entry


def chart_html(spec: dict, downloads: list) -> str:
    """An interactive chart under its takeaway (HTML text, which wraps on any screen), with its description and a
    link to its data; the data file is named after what the chart shows (the first subtitle line)."""
    columns, rows = chart_data(spec)
    name, notes = chart_name(spec), chart_subtitle(spec)
    entry = register_download(downloads, slug(name) or "chart", name, spec["description"], columns, rows)
    embed = {k: v for k, v in spec.items() if k not in ("$schema", "title")}    # the page's own Vega-Lite draws it
    return (f'<figure class="chart"><p class="chart-title"><strong>{html.escape(chart_title(spec))}</strong>'
            + "".join(f'<span>{html.escape(n)}</span>' for n in notes) + '</p>'
            f'<div class="vega-chart" id="chart-{entry["id"]}"></div>'
            f'<script type="application/json" data-chart="chart-{entry["id"]}">{script_json(embed)}</script>'
            f'<figcaption><details><summary>Description and data</summary><span class="description">'
            f'{html.escape(spec["description"])}</span> <a class="csv" href="{entry["file"]}">Data (CSV)</a>'
            f'</details></figcaption></figure>')


def what_if_html(payload: dict, downloads: list) -> str:
    """A what-if box (controls, the selected grid point's numbers, a chart, the `--set` line); its grid is the
    chart's data file."""
    columns = payload["columns"]
    entry = register_download(downloads, f"what-if-{payload['name']}", payload["title"], payload["chart"]["description"],
                      columns, [r[:len(columns)] for r in payload["rows"]])
    start = [c["values"].index(c["value"]) for c in payload["controls"]]
    return TEMPLATES.get_template("whatif.html.j2").render(w=payload, ident=entry["id"], file=entry["file"],
                                                            start=start, payload=markupsafe.Markup(script_json(payload)))


def inert_cell(value):
    """A CSV cell no spreadsheet evaluates (OWASP's CSV-injection rule): text beginning with = + - @, tab or CR gets
    a leading ', unless it is a plain number; numbers and other text stay as they are, missing values are empty. A
    CR inside text becomes a line feed (which the writer quotes; a bare CR would end the row)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def inert_csv(columns: list, rows: list) -> str:
    """CSV text (header row, "\n" line ends, every cell `inert_cell`): the same input gives the same bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(map(inert_cell, columns))
    writer.writerows([map(inert_cell, row) for row in rows])
    return buffer.getvalue()


def write_downloads(downloads: list, folder: Path) -> None:
    """Write every chart's and data table's CSV into the new folder `folder`, and its index.csv listing them."""
    folder.mkdir()
    for entry in downloads:
        write_download(entry, folder)
    write_download_index(downloads, folder)


def write_download(entry: dict, folder: Path) -> None:
    """Write one chart's or data table's CSV (`register_download`'s entry) into `folder`."""
    (folder / f"{entry['id']}.csv").write_text(inert_csv(entry["columns"], entry["rows"]), encoding="utf-8")


def write_download_index(downloads: list, folder: Path) -> None:
    """Write `folder`/index.csv, listing every download (id, title, description, file)."""
    index = [[d["id"], d["title"], d["description"], d["file"]] for d in downloads]
    (folder / "index.csv").write_text(inert_csv(["id", "title", "description", "file"], index), encoding="utf-8")


def linkable(source: dict) -> dict:
    """A source for the page: its URL is kept as a link only if it is an http(s) address."""
    return {**source, "url": source["url"] if LINKABLE_URL.fullmatch(source["url"]) else ""}


def vega_bundle(directory: Path | None = None) -> str:
    """vl-convert's vega + vega-lite + vega-embed bundle, which every page embeds (about 0.9 MB, about 2 s of CPU
    to build). It depends on the vl-convert version alone, so it belongs to the installed environment: it is kept
    in BUNDLE_DIR (built by `make` at install, else by the first build that needs it)."""
    import vl_convert       # only pages need it: every other command works without vl-convert
    version = vl_convert.__version__  # type: ignore[attr-defined]  # set by the compiled module; its stub omits it
    path = (directory or BUNDLE_DIR) / f"vega-bundle-vl-convert-{version}.js"
    body = read_verified(path)
    if body is None:
        # The stub makes `snippet` required; the compiled function defaults it (to the globals vegaEmbed, vegaLite, vega).
        body = vl_convert.javascript_bundle().encode("utf-8")  # type: ignore[call-arg]
        write_atomic(path, body)
    return body.decode("utf-8")
