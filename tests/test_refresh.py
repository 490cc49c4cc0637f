"""`refresh epoch`: the importer reproduces today's files, shows a reviewed diff, and writes only with --accept."""
from __future__ import annotations

import shutil

import pytest

from analysis import data
from analysis.pipeline import cli, epoch_export, refresh
from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.command       # whole commands and builds: `make test` runs them, `make check` does not

#: Amazon's rows (and a few other owners') of the Epoch AI export that data/epoch_fleet.csv and epoch_cumulative.csv
#: were built from (commit d1b1bc3). After a real refresh of data/, copy the new export's rows here.
EXPORT = ROOT / "tests" / "fixtures" / "epoch_export"
#: A later, revised export: one quarter revised, one added, one removed, the cumulative total revised.
NEWER = ROOT / "tests" / "fixtures" / "epoch_export_newer"


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_importer_reproduces_todays_files_byte_for_byte():
    current = {t: refresh.read_table(DATA / f"{t}.csv") for t in epoch_export.KEYS}
    rows = epoch_export.import_export(EXPORT)
    for table in epoch_export.KEYS:
        text = refresh._csv_text(table, refresh.merged(current[table], rows[table]))
        assert text == (DATA / f"{table}.csv").read_text(encoding="utf-8")
        assert {r["owner"] for r in current[table]} == {epoch_export.OWNER, *epoch_export.OTHER_OWNERS}
    assert refresh.diff(current, rows).empty


HEADER = ("Name,Chip manufacturer,Owner,Start date,End date,Compute estimate in H100e (median),H100e (5th percentile),"
          "H100e (95th percentile),{units},Number of Units (5th percentile),Number of Units (95th percentile),"
          "Total TDP (W),Total TDP (W) (5th percentile),Total TDP (W) (95th percentile),Chip type,{incomplete}Notes\n")


def _export_file(folder, name, rows, units="Number of Units", incomplete=True):
    """A made-up file in the layout of Epoch AI's owner files (numbers invented for the test)."""
    text = HEADER.format(units=units, incomplete="Incomplete," if incomplete else "")
    text += "".join(",".join(r) + "\n" for r in rows)
    (folder / name).write_text(text, encoding="utf-8")


def _row(name, maker, owner, start, end, chip, incomplete="", notes="Estimates generated on: 01-01-2026 00:00",
         has_incomplete=True):
    return [name, maker, owner, start, end, "10", "5", "20", "100", "50", "200", "1000", "500", "2000", chip,
            *([incomplete] if has_incomplete else []), notes]


def test_the_other_owners_rows_are_read_from_the_nvidia_tpu_and_amd_files(tmp_path):
    """Only the other owners' rows; AMD's 'Number of Units (median)' column; a TPU quarter marked incomplete in its
    note; each owner's latest complete cumulative quarter."""
    q, c = epoch_export.OTHER_EXPORT_FILES["epoch_fleet"], epoch_export.OTHER_EXPORT_FILES["epoch_cumulative"]
    _export_file(tmp_path, q[0], [_row("Meta A100 Q1 2022", "Nvidia", "Meta", "1/1/2022", "3/31/2022", "A100"),
                                  _row("Amazon A100 Q1 2022", "Nvidia", "Amazon", "1/1/2022", "3/31/2022", "A100"),
                                  _row("China A100 Q1 2022", "Nvidia", "China", "1/1/2022", "3/31/2022", "A100")])
    _export_file(tmp_path, q[1], [_row("Google TPU v4 Q4 2022", "Google", "Google", "10/1/2022", "12/31/2022", "TPU v4",
                                       notes="Incomplete: based on Broadcom fiscal quarters", has_incomplete=False)],
                 incomplete=False)
    _export_file(tmp_path, q[2], [_row("Oracle Instinct MI300X FY24 Q1", "AMD", "Oracle", "1/1/2024", "3/31/2024",
                                       "Instinct MI300X")], units="Number of Units (median)")
    _export_file(tmp_path, c[0], [_row("Meta cumulative Nvidia through Q4 2025", "Nvidia", "Meta", "1/1/2022", "12/31/2025", ""),
                                  _row("Meta cumulative Nvidia through Q1 2026", "Nvidia", "Meta", "1/1/2022", "3/31/2026", "",
                                       incomplete="checked")])
    _export_file(tmp_path, c[1], [_row("Google cumulative TPU through Q3 2025", "Google", "Google", "1/1/2023", "9/30/2025", "")])
    _export_file(tmp_path, c[2], [_row("Oracle cumulative AMD through Q4 2025", "AMD", "Oracle", "1/1/2024", "12/31/2025", ""),
                                  _row("Other cumulative AMD through Q4 2025", "AMD", "Other", "1/1/2024", "12/31/2025", "")],
                 units="Number of Units (median)")
    rows = epoch_export.import_export(tmp_path, epoch_export.OTHER_OWNERS, epoch_export.OTHER_EXPORT_FILES)
    fleet = {(r["owner"], r["chip"], r["quarter"], r["measure"]): r for r in rows["epoch_fleet"]}
    assert {k[:3] for k in fleet} == {("Meta", "A100", "2022Q1"), ("Google", "TPU v4", "2022Q4"),
                                      ("Oracle", "Instinct MI300X", "2024Q1")}
    assert fleet[("Google", "TPU v4", "2022Q4", "units")]["incomplete"] == "true"
    assert fleet[("Oracle", "Instinct MI300X", "2024Q1", "units")]["median"] == "100"
    assert fleet[("Meta", "A100", "2022Q1", "units")]["incomplete"] == "false"
    cumulative = {(r["owner"], r["vendor"]): r["through_quarter"] for r in rows["epoch_cumulative"]}
    assert cumulative == {("Meta", "Nvidia"): "2025Q4", ("Google", "Google"): "2025Q3", ("Oracle", "AMD"): "2025Q4"}


def test_the_other_owners_rows_in_data_are_epochs_own():
    """data/'s rows of the other owners: Epoch's files as imported (pointer to the row, Epoch's vendors and chips)."""
    fleet = refresh.read_table(DATA / "epoch_fleet.csv")
    others = [r for r in fleet if r["owner"] != epoch_export.OWNER]
    assert {r["owner"] for r in others} == set(epoch_export.OTHER_OWNERS)
    assert {(r["owner"], r["vendor"]) for r in others} == {
        ("Google", "Nvidia"), ("Google", "Google"), *((o, v) for o in ("Microsoft", "Meta", "Oracle") for v in ("Nvidia", "AMD"))}
    for r in others:
        file, name = r["pointer"].split(": row ")
        assert file in epoch_export.OTHER_EXPORT_FILES["epoch_fleet"] and name.strip("'").startswith(r["owner"] + " ")


def test_the_diff_names_rows_added_changed_and_removed_with_old_and_new_values():
    old = {t: refresh.read_table(DATA / f"{t}.csv") for t in epoch_export.KEYS}
    lines = refresh.describe(refresh.diff(old, epoch_export.import_export(NEWER)))
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
    before_others = data.load_dataset(data_copy)["epoch_fleet"].groupby("owner").size().drop("Amazon")
    assert cli.main(["--data-dir", str(data_copy), "refresh", "epoch", str(NEWER), "--accept"]) == 0
    assert "wrote the data files" in capsys.readouterr().out
    ds = data.load_dataset(data_copy)                       # the new manifest verifies, every table validates
    fleet = ds["epoch_fleet"]
    assert ((fleet["chip"] == "B300") & (fleet["quarter"] == "2026Q2")).sum() == 3
    assert fleet.groupby("owner").size().drop("Amazon").equals(before_others)    # the other owners' rows are kept
    assert not ((fleet["owner"] == "Amazon") & (fleet["chip"] == "A100") & (fleet["quarter"] == "2023Q4")).any()
    log = (data_copy / refresh.CHANGELOG).read_text(encoding="utf-8")
    entry = log.split("\n## ")[-1]
    assert "Epoch AI chip counts refreshed" in entry and "07-15-2026 18:00" in entry
    assert "epoch_fleet.csv: 3 added, 6 changed, 3 removed" in entry and f"-> {ds.version}" in entry
    assert "erosion.nvidia_revenue_long_term: " in entry          # a headline number that moved, old -> new
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
