"""`refresh epoch`: the importer reproduces today's files, shows a reviewed diff, and writes only with --accept."""
from __future__ import annotations

import shutil

import pytest

from analysis import data
from analysis.build import cli, refresh
from tests.conftest import DATA, ROOT

#: Amazon's rows (and a few other owners') of the Epoch AI export that data/epoch_fleet.csv and epoch_cumulative.csv
#: were built from (commit d1b1bc3). After a real refresh of data/, copy the new export's rows here.
EXPORT = ROOT / "tests" / "fixtures" / "epoch_export"
#: A later, revised export: one quarter revised, one added, one removed, the cumulative total revised.
NEWER = ROOT / "tests" / "fixtures" / "epoch_export_newer"


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_importer_reproduces_todays_files_byte_for_byte():
    rows = refresh.import_export(EXPORT)
    old = {t: refresh.read_table(DATA / f"{t}.csv") for t in refresh.KEYS}
    for table in refresh.KEYS:
        text = refresh._csv_text(table, refresh.merged(old[table], rows[table]))
        assert text == (DATA / f"{table}.csv").read_text(encoding="utf-8")
    assert refresh.diff(old, rows).empty


def test_the_diff_names_rows_added_changed_and_removed_with_old_and_new_values():
    old = {t: refresh.read_table(DATA / f"{t}.csv") for t in refresh.KEYS}
    lines = refresh.describe(refresh.diff(old, refresh.import_export(NEWER)))
    assert "epoch_fleet.csv: 3 added, 6 changed, 3 removed" in lines
    assert "epoch_cumulative.csv: 0 added, 1 changed, 0 removed" in lines
    assert "+ Amazon Nvidia B300 2026Q2 units: median 13346, p5 9651, p95 18611" in lines
    assert "~ Amazon Nvidia H100/H200 2025Q4 units: median 2431 -> 2674; p5 1744 -> 1918; p95 3381 -> 3719" in lines
    assert "- Amazon Nvidia A100 2023Q4 units: median 1561, p5 1061, p95 2307" in lines


def test_without_accept_nothing_is_written(data_copy, capsys):
    before = _snapshot(data_copy)
    assert cli.main(["--data-dir", str(data_copy), "refresh", "epoch", str(NEWER)]) == 0
    out = capsys.readouterr().out
    assert "3 added, 6 changed, 3 removed" in out and "rerun with --accept" in out
    assert _snapshot(data_copy) == before


def test_accept_updates_the_data_the_manifest_and_the_changelog(data_copy, capsys):
    assert cli.main(["--data-dir", str(data_copy), "refresh", "epoch", str(NEWER), "--accept"]) == 0
    assert "wrote the data files" in capsys.readouterr().out
    ds = data.load_dataset(data_copy)                       # the new manifest verifies, every table validates
    fleet = ds["epoch_fleet"]
    assert ((fleet["chip"] == "B300") & (fleet["quarter"] == "2026Q2")).sum() == 3
    assert not ((fleet["chip"] == "A100") & (fleet["quarter"] == "2023Q4")).any()
    log = (data_copy / refresh.CHANGELOG).read_text(encoding="utf-8")
    entry = log.split("\n## ")[-1]
    assert "Epoch AI chip counts refreshed" in entry and "07-15-2026 18:00" in entry
    assert "epoch_fleet.csv: 3 added, 6 changed, 3 removed" in entry and f"-> {ds.version}" in entry
    assert "erosion.nvidia_revenue_2027_2030: " in entry          # a headline number that moved, old -> new
    assert cli.main(["--data-dir", str(data_copy), "refresh", "epoch", str(NEWER)]) == 0
    assert "no change; nothing written" in capsys.readouterr().out


def _broken(tmp_path, name, old, new, every=False):
    folder = tmp_path / "export"
    shutil.copytree(NEWER, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, -1 if every else 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize("edit, culprit", [
    (None, "not a folder"),
    (("trainium_owners_quarters_by_chip.csv", None, None), "trainium_owners_quarters_by_chip.csv: missing"),
    (("nvidia_owners_quarters_by_chip.csv", ",5639,", ",56x9,"),
     "nvidia_owners_quarters_by_chip.csv, line 4, column 'Compute estimate in H100e (median)'"),
    (("nvidia_owners_quarters_by_chip.csv", "Number of Units,", "Units,"), "no column 'Number of Units'"),
    (("nvidia_owners_quarters_by_chip.csv", "1/1/2022,3/31/2022,5639", "2022-01-01,3/31/2022,5639"),
     "line 4, column 'Start date'"),
    (("nvidia_owners_quarters_by_chip.csv", ",5639,3345,", ",2000,3345,"),
     "nvidia_owners_quarters_by_chip.csv, line 4 (row 2 of epoch_fleet.csv), column 'owner': value 'Amazon' fails "
     "check p5 <= median <= p95"),
    (("nvidia_owners_quarters_by_chip.csv", "5639,3345,9665,17885,10611,30654,7154176,4244469,12261904,A100,,,"
      "Estimates generated on: 07-15-2026 18:00", "5639,3345,9665"), "nvidia_owners_quarters_by_chip.csv, line 4: 8 fields where the header has 18"),
    (("nvidia_owners_quarters_by_chip.csv", ",Amazon,", ",Amazon,Amazon,"),
     "nvidia_owners_quarters_by_chip.csv, line 4: 19 fields where the header has 18"),
    (("trainium_owners_quarters_by_chip.csv", ",Amazon,Amazon,", ",Amazon,Anthropic,", True),
     "trainium_owners_quarters_by_chip.csv: no rows for Amazon (column 'Owner')"),
    (("nvidia_owners_quarters_by_chip.csv", "B300,checked,", "B300,,"), "the model fails on the new rows"),
])
def test_bad_exports_are_refused_in_one_line_and_nothing_is_written(tmp_path, data_copy, capsys, edit, culprit):
    if edit is None:
        folder = tmp_path / "no-such-folder"
    elif edit[1] is None:
        folder = tmp_path / "export"
        shutil.copytree(NEWER, folder)
        (folder / edit[0]).unlink()
    else:
        folder = _broken(tmp_path, *edit)
    before = _snapshot(data_copy)
    assert cli.main(["--data-dir", str(data_copy), "refresh", "epoch", str(folder), "--accept"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and culprit in err, err
    assert _snapshot(data_copy) == before
    assert {p.name for p in tmp_path.iterdir()} <= {"data", "export"}         # no scratch folder, no lock
