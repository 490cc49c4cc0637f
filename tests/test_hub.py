"""The forecast hub in forecasts/: hubdata reads it, the originals convert to exactly its files, and `score` trusts
no file (every hostile input is one line naming file, row and column, exit status 2, nothing written)."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.pipeline import cli
from analysis.data import params, releases, scenarios
from analysis.models import hindsight, hub, hub_models, hub_reader, outlook
from tests.browser import offline_page
from tests.conftest import ROOT

FORECASTS = ROOT / "forecasts"
ESSAY = hub.output_path("essay-2024", "2024-02-21")


def test_hubdata_opens_the_hub_and_reads_every_model_output_file_with_the_declared_schema():
    import hubdata
    connection = hubdata.connect_hub(FORECASTS.resolve())
    dataset = connection.get_dataset()
    listed = {n for n in releases.manifest_entries(FORECASTS) if n.startswith(f"{hub.OUTPUT}/")}
    assert {Path(f).relative_to(FORECASTS.resolve()).as_posix() for f in dataset.files} == listed and listed
    table = dataset.to_table().to_pandas()
    assert dataset.schema.equals(connection.schema)
    assert len(table) == sum(len(pd.read_csv(FORECASTS / n)) for n in listed)
    assert table[[*hub.HUB_COLUMNS, "model_id"]].notna().all().all()
    pmf = table[table["output_type"] == "pmf"]
    sums = pmf.groupby(["model_id", "target", "horizon"])["value"].sum()
    assert len(sums) and sums.sub(1.0).abs().max() < 1e-9                    # binary targets sum to 1
    assert set(pmf["output_type_id"]) == {"false", "true"}
    assert set(table.loc[table["output_type"] == "quantile", "output_type_id"]) == set(hub.LEVELS)


def test_the_hub_holds_exactly_the_conversion_of_the_locked_originals(tmp_path):
    originals = sorted(n for n in releases.manifest_entries(FORECASTS) if "/" not in n)
    assert originals == ["2026.12.csv", "essay-2024.csv"]
    for name in originals:
        shutil.copy(FORECASTS / name, tmp_path / name)
    (tmp_path / releases.MANIFEST).write_text("".join(
        f"{hashlib.sha256((FORECASTS / n).read_bytes()).hexdigest()}  {n}\n" for n in originals))
    hub.convert_originals(tmp_path)
    converted = (tmp_path / releases.MANIFEST).read_text()
    assert (FORECASTS / releases.MANIFEST).read_text().startswith(converted)  # later releases only append
    assert hub.convert_originals(tmp_path) == []                             # once only


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "forecasts"
    shutil.copytree(FORECASTS, folder)
    return folder


def _forge(folder: Path, name: str, body: bytes) -> None:
    """Write `body` to `name` and list it in the manifest as `release` would (so only the content is wrong)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    lines = [line for line in (folder / releases.MANIFEST).read_text().splitlines() if not line.endswith(f"  {name}")]
    lines.append(f"{hashlib.sha256(body).hexdigest()}  {name}")
    (folder / releases.MANIFEST).write_text("\n".join(lines) + "\n")


def _edit(folder: Path, name: str, line: int, column: str, value: str) -> None:
    rows = (folder / name).read_text().splitlines()
    header = rows[0].split(",")
    cells = rows[line - 1].split(",")
    cells[header.index(column)] = value
    rows[line - 1] = ",".join(cells)
    _forge(folder, name, ("\n".join(rows) + "\n").encode())


def _line(folder: Path, name: str, **match) -> int:
    """The 1-based line of the first row matching `match` (column -> text)."""
    frame = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    hits = frame[(frame[list(match)] == pd.Series(match)).all(axis=1)]
    return int(hits.index[0]) + 2


def _refused(tmp_path: Path, folder: Path, capsys, *culprits: str) -> None:
    out = tmp_path / "track"
    assert cli.main(["score", "--out", str(out), "--forecasts-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    assert all(c in err for c in culprits), err
    assert not out.exists()


Q50 = {"target": "nvidia_revenue_from_aws", "horizon": "1", "output_type": "quantile", "output_type_id": "0.50"}


@pytest.mark.parametrize("column, value, where, culprit", [
    ("value", "inf", Q50, "'inf' is not a finite number"),
    ("value", "nan", Q50, "'nan' is not a finite number"),
    ("value", "lots", Q50, "'lots' is not a finite number"),
    ("value", "Infinity", Q50, "'Infinity' is not a finite number"),
    ("value", "1e400", Q50, "'1e400' is not a finite number"),
    ("value", "0.1", Q50, "quantile 0.50 of nvidia_revenue_from_aws at horizon 1 is below quantile 0.25"),
    ("value", "7", {"target": "asic_share_of_spend_above_25pct", "horizon": "1", "output_type_id": "true"},
     "'7' is not a probability in [0, 1]"),
    ("value", "0.9", {"target": "asic_share_of_spend_above_25pct", "horizon": "1", "output_type_id": "true"},
     "must give false and true, summing to 1"),
    ("year", "abc", Q50, "column year: 'abc' is not one of the round's declared values"),
    ("year", "2031", Q50, "column year: '2031'"),
    ("horizon", "9", Q50, "column horizon: '9'"),
    ("output_type", "sample", Q50, "column output_type: 'sample' is not declared"),
    ("output_type_id", "0.51", Q50, "column output_type_id: '0.51' is not one of"),
    ("target", "unknown_target", Q50, "column target: 'unknown_target' is not a target of round 2024-02-21"),
    ("reference_date", "2026-12-04", Q50, "column reference_date: '2026-12-04' is not the file's round 2024-02-21"),
])
def test_a_bad_cell_is_refused_naming_file_row_and_column(tmp_path, capsys, column, value, where, culprit):
    folder = _copy(tmp_path)
    line = _line(folder, ESSAY, **where)
    _edit(folder, ESSAY, line, column, value)
    _refused(tmp_path, folder, capsys, ESSAY, culprit, "row ")


def test_reversed_quantiles_and_a_missing_level_are_refused(tmp_path, capsys):
    folder = _copy(tmp_path)
    frame = pd.read_csv(folder / ESSAY, dtype=str, keep_default_na=False)
    q = frame[(frame["target"] == "accelerator_spend") & (frame["horizon"] == "2") & (frame["output_type"] == "quantile")]
    frame.loc[q.index, "value"] = list(reversed(q["value"].tolist()))
    _forge(folder, ESSAY, frame.to_csv(index=False, lineterminator="\n").encode())
    _refused(tmp_path, folder, capsys, ESSAY, "column value", "must not decrease")
    frame = pd.read_csv(FORECASTS / ESSAY, dtype=str, keep_default_na=False)
    frame = frame.drop(frame[(frame["target"] == "accelerator_spend") & (frame["output_type_id"] == "0.75")].index[0])
    _forge(folder, ESSAY, frame.to_csv(index=False, lineterminator="\n").encode())
    _refused(tmp_path, folder, capsys, ESSAY, "has no quantile 0.75")


def test_a_row_given_twice_or_a_short_row_is_refused(tmp_path, capsys):
    folder = _copy(tmp_path)
    rows = (folder / ESSAY).read_text().splitlines()
    _forge(folder, ESSAY, ("\n".join([*rows, rows[5]]) + "\n").encode())
    _refused(tmp_path, folder, capsys, ESSAY, f"row {len(rows) + 1}", "given twice")
    _forge(folder, ESSAY, ("\n".join([*rows, "2024-02-21,accelerator_spend"]) + "\n").encode())
    _refused(tmp_path, folder, capsys, ESSAY, "2 cells, expected 7")


def test_a_non_utf8_manifest_or_a_binary_listed_file_is_refused(tmp_path, capsys):
    folder = _copy(tmp_path)
    _forge(folder, ESSAY, b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    _refused(tmp_path, folder, capsys, ESSAY, "not UTF-8")
    folder = _copy(tmp_path / "again")
    with open(folder / releases.MANIFEST, "ab") as manifest:
        manifest.write(b"\xff\xfe  junk\n")
    _refused(tmp_path, folder, capsys, "MANIFEST.sha256", "not UTF-8")


def test_a_file_whose_path_does_not_name_one_model_and_round_is_refused(tmp_path, capsys):
    folder = _copy(tmp_path)
    body = (FORECASTS / ESSAY).read_bytes()
    _forge(folder, "model-output/aws-essay_2024/2024-02-21-aws-other.csv", body)
    _refused(tmp_path, folder, capsys, "2024-02-21-aws-other.csv", "one model id")
    folder = _copy(tmp_path / "b")
    _forge(folder, "model-output/aws-zz/2024-02-21-aws-zz.csv", body)     # a copy under a new model, no metadata
    _refused(tmp_path, folder, capsys, "no model-metadata/aws-zz.yml")


def test_a_forged_release_cannot_change_another_releases_record(tmp_path, capsys):
    """zz-shadow: essay-2024's forecasts x3, listed in the manifest with metadata claiming to be essay-2024."""
    folder = _copy(tmp_path)
    before = hub_reader.read(folder)
    frame = pd.read_csv(FORECASTS / ESSAY, dtype=str, keep_default_na=False)
    quantile = frame["output_type"] != "pmf"
    frame.loc[quantile, "value"] = [f"{3 * float(v):.10g}" for v in frame.loc[quantile, "value"]]
    forged = "model-output/aws-zz_shadow/2024-02-21-aws-zz_shadow.csv"
    _forge(folder, forged, frame.to_csv(index=False, lineterminator="\n").encode())
    meta = (FORECASTS / "model-metadata/aws-essay_2024.yml").read_text()
    _forge(folder, "model-metadata/aws-zz_shadow.yml", meta.encode())                  # says release essay-2024
    _refused(tmp_path, folder, capsys, "model-metadata/aws-zz_shadow.yml", "is not model aws-zz_shadow's round")
    _forge(folder, "model-metadata/aws-zz_shadow.yml",
           meta.replace('"essay-2024"', '"zz-shadow"').replace('"essay_2024"', '"zz_shadow"').encode())
    after = hub_reader.read(folder)                                                           # now a release of its own
    assert set(after["release"]) == {*before["release"], "zz-shadow"}
    pd.testing.assert_frame_equal(after[after["release"] != "zz-shadow"].reset_index(drop=True),
                                  before.reset_index(drop=True))


@pytest.mark.command
def test_score_writes_inert_csv_and_strict_json(tmp_path):
    folder = _copy(tmp_path)
    meta = folder / "model-metadata/aws-essay_2024.yml"
    _forge(folder, "model-metadata/aws-essay_2024.yml",
           meta.read_text().replace('scenario: "essay-2024"', 'scenario: "=HYPERLINK(\\"http://x\\")"').encode())
    out = tmp_path / "track"
    assert cli.main(["score", "--out", str(out), "--forecasts-dir", str(folder)]) == 0
    record = (out / "track_record.csv").read_text()
    assert "'=HYPERLINK" in record and ",=HYPERLINK" not in record
    json.loads((out / "results.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in results.json"))


@pytest.mark.browser
def test_the_track_record_page_draws_every_chart(tmp_path):
    out = tmp_path / "track"
    assert cli.main(["score", "--out", str(out)]) == 0
    html = (out / "index.html").read_text()
    assert "Content-Security-Policy" in html and "What did we think in early 2024?" in html
    expected = html.count('class="vega-chart"')
    assert expected >= 8
    with offline_page() as off:
        off.page.goto((out / "index.html").as_uri())
        off.page.wait_for_function(f"document.querySelectorAll('.vega-chart svg.marks').length === {expected}",
                                   timeout=30_000)
        marks = off.page.eval_on_selector_all(
            ".vega-chart", "nodes => nodes.map(n => n.querySelectorAll('svg.marks g.role-mark.mark-line path, "
                           "svg.marks g.role-mark.mark-symbol path').length)")
        assert off.errors == [] and off.blocked == []
    assert len(marks) == expected and all(m > 0 for m in marks), marks        # data marks, not axes


# --- what the essay-2024 reconstruction knew -------------------------------------------------------------------

def test_a_partial_publication_date_counts_as_its_last_day():
    assert hindsight.published("2024-02") == "2024-02-29" and hindsight.published("2025") == "2025-12-31"
    assert hindsight.published("2024-02-01") == "2024-02-01" and hindsight.published("undated (c.2024)") is None


def test_the_essay_reconstruction_scores_only_targets_whose_inputs_it_could_have_read(ds, schema):
    inputs = hindsight.release_inputs(ds, "essay-2024", "2024-02-21")
    excluded = hindsight.post_dated_targets(inputs)
    late = inputs[inputs["post_dated"]]
    assert (late["published"] > "2024-02-21").all() and len(late)
    assert any(i.startswith("amd_ceiling = ") for i in late["input"])            # hindsight on the essay's AMD claim
    assert set(late.loc[late["file"] == "epoch_fleet.csv", "source_id"]) == {"epoch-ai-chip-counts"}
    for target in hindsight.EVERY_TARGET:                                        # a scored target read nothing later
        reads = inputs[[target in ts for ts in inputs["targets"]]]
        assert (target in excluded) == bool(reads["post_dated"].any())
    record = hub_models.score(ds, schema, FORECASTS)
    essay = record[record["release"] == "essay-2024"]
    assert set(essay.loc[essay["scored"], "target"]) <= set(hindsight.EVERY_TARGET) - set(excluded)
    assert essay.loc[essay["target"].isin(list(excluded)), "crps"].isna().all()


def test_early_2024_names_what_separates_the_essay_release_from_the_end_2023_origin(ds, schema):
    early = hindsight.early_2024(ds, schema, hub_reader.read(FORECASTS))
    # the origin runs the model's own priors; the essay scenario sets its own view of these (both with their reasons)
    essay_set = set(scenarios.load("essay-2024")["values"]) - {"observed_through", "capex_outlook_vintage"}
    assert early is not None and set(early["differ"]) == {n for n in essay_set if n in outlook.parameters(ds)
                                                           and scenarios.resolve_scenario("essay-2024", ds)[n] != params.resolve({}, ds)[n]}
    assert "accelerator_share_change" in early["differ"] and set(early["reasons"]) == set(early["differ"])
    essay = hub_reader.read(FORECASTS)
    q = essay[(essay["release"] == "essay-2024") & (essay["target"] == "nvidia_revenue_from_aws")
              & (essay["year"] == 2024) & (essay["output_type_id"] == "0.50")]
    assert early["essay_release"] == q["value"].item() and early["origin"] < early["essay_release"]


def test_the_remembered_track_record_follows_the_hubs_bytes(tmp_path, ds, schema):
    """`score` is remembered per dataset and the hub's bytes: a changed file is read again (and refused), a new
    release is scored, and the unchanged hub gives the same table without reading it again."""
    folder = tmp_path / "forecasts"
    shutil.copytree(FORECASTS, folder)
    first = hub_models.score(ds, schema, folder)
    assert hub_models.score(ds, schema, folder).equals(first)
    output = folder / ESSAY
    original = output.read_bytes()
    output.write_bytes(original.replace(b"\n", b"\r\n", 1))
    with pytest.raises(releases.ReleaseError, match="changed after its release"):
        hub_models.score(ds, schema, folder)
    output.write_bytes(original)
    assert hub_models.score(ds, schema, folder).equals(first)
    p = params.resolve({}, ds)
    hub_models.release(ds, p, schema, "v9", folder, "base", forecast_date="2026-12-01")
    scored = hub_models.score(ds, schema, folder)
    assert set(scored["release"]) - set(first["release"]) and len(scored) > len(first)
