"""The data layer: schema, checksums, references, freshness, and spot checks against cited sources."""
import contextlib
import hashlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import data
from analysis.pipeline import cli
from analysis.models import freshness
from analysis.errors import DataError
from tests.conftest import FROZEN, ROOT, run_cli


@pytest.fixture(scope="module")
def ds():
    return data.load_dataset()


def _edit(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _load_refuses(folder, pattern):
    """After a deliberate edit (the manifest rewritten), loading `folder` raises a DataError matching `pattern`."""
    data.write_manifest(folder)
    with pytest.raises(DataError, match=pattern):
        data.load_dataset(folder)


def _line_of(path, fragment):
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


def test_every_table_loads_with_rows(ds):
    for name, frame in ds.tables.items():
        assert len(frame) > 0, name
    assert re.fullmatch(r"[0-9a-f]{12}", ds.version)


# --- corrupt-file tests on the frozen fixture: one per failure kind, each must name file, line and column, exit 2

def _assert_cli_refuses(data_dir, fragment):
    """`python -m analysis --data-dir DATA_DIR params` exits 2 with one line holding `fragment` (run in-process: the
    exit status is what `main` returns; test_cli_refuses_a_corrupt_file_in_a_real_process runs one in a process)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert cli.main(["--data-dir", str(data_dir), "params"]) == 2, err.getvalue()
    assert fragment in err.getvalue(), err.getvalue()
    assert "Traceback" not in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1


@pytest.mark.command
def test_cli_refuses_a_corrupt_file_in_a_real_process(frozen_copy):
    csv = frozen_copy / "financials.csv"
    line = _line_of(csv, "Amazon,capex_gross,FY2023Q3,")
    _edit(csv, "Amazon,capex_gross,FY2023Q3,2023-09-30,12479,", "Amazon,capex_gross,FY2023Q3,2023-09-30,12.4.79,")
    data.write_manifest(frozen_copy)
    result = run_cli("--data-dir", str(frozen_copy), "params")
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert result.stderr.startswith(f"error: {csv}, line {line}, column 'value': expected a number, got '12.4.79'")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def _children() -> set[int]:
    """This process's child processes."""
    import psutil
    return {child.pid for child in psutil.Process().children()}


def test_tables_validated_beside_other_work_are_the_tables_validated_here(frozen_copy):
    """`meanwhile` runs in this process while a forked child validates; the child's tables are this process's own,
    column by column and dtype by dtype, and its refusal is the same one line."""
    ran: list[int] = []
    before = _children()            # a test session may keep workers of its own

    def meanwhile():
        ran.append(os.getpid())
    data.forget_loaded()
    beside = data.load_dataset(frozen_copy, meanwhile=meanwhile)
    assert data.load_dataset(frozen_copy) is beside         # a later call (`watch`'s) finds it: not validated again
    here = data._validated(frozen_copy, data.verify_manifest(frozen_copy))
    assert ran == [os.getpid()] and sorted(beside.tables) == sorted(here.tables)
    for name, frame in here.tables.items():
        pd.testing.assert_frame_equal(beside.tables[name], frame, check_exact=True)
    csv = frozen_copy / "financials.csv"
    _edit(csv, "Amazon,capex_gross,FY2023Q3,2023-09-30,12479,", "Amazon,capex_gross,FY2023Q3,2023-09-30,12.4.79,")
    data.write_manifest(frozen_copy)
    with pytest.raises(DataError) as here_refused:
        data._validated(frozen_copy, data.verify_manifest(frozen_copy))
    with pytest.raises(DataError) as beside_refused:
        data.load_dataset(frozen_copy, meanwhile=meanwhile)
    assert str(beside_refused.value) == str(here_refused.value) and "12.4.79" in str(here_refused.value)
    assert ran == [os.getpid()] * 2 and _children() == before


def test_a_validating_child_that_fails_leaves_the_validation_here_and_no_process_behind(frozen_copy, monkeypatch):
    calls: list[int] = []
    before = _children()            # a test session may keep workers of its own

    def broken(directory, version):
        calls.append(os.getpid())
        raise RuntimeError("a bug in the validation")
    monkeypatch.setattr(data, "_validated", broken)
    data.forget_loaded()
    with pytest.raises(RuntimeError, match="a bug in the validation"):       # raised here, with its traceback
        data.load_dataset(frozen_copy, meanwhile=lambda: None)
    assert calls == [os.getpid()] and _children() == before     # the child's call was in the child

    def interrupted():
        raise KeyboardInterrupt
    data.forget_loaded()
    with pytest.raises(KeyboardInterrupt):
        data.load_dataset(frozen_copy, meanwhile=interrupted)
    assert _children() == before
    data.forget_loaded()


def test_non_numeric_cell(frozen_copy):
    csv = frozen_copy / "financials.csv"
    line = _line_of(csv, "Amazon,capex_gross,FY2023Q3,")
    _edit(csv, "Amazon,capex_gross,FY2023Q3,2023-09-30,12479,", "Amazon,capex_gross,FY2023Q3,2023-09-30,12.4.79,")
    _load_refuses(frozen_copy, rf"financials.csv, line {line}, column 'value': expected a number, got '12.4.79'")
    _assert_cli_refuses(frozen_copy, f"financials.csv, line {line}, column 'value'")


def test_a_post_cut_price_without_its_pre_cut_price(frozen_copy):
    csv = frozen_copy / "instances.csv"
    line = _line_of(csv, "p5.48xlarge,h100-sxm,8,on_demand_post_cut,")
    _edit(csv, "p5.48xlarge,h100-sxm,8,on_demand_pre_cut,", "p5.48xlarge,h100-sxm,8,on_demand,")
    data.write_manifest(frozen_copy)
    with pytest.raises(DataError, match=rf"instances.csv, line {line}, column 'instance_type': value 'p5.48xlarge' "
                                        "fails check an on_demand_post_cut price needs the same instance's "
                                        "on_demand_pre_cut price"):
        data.load_dataset(frozen_copy)


def test_missing_column(frozen_copy):
    csv = frozen_copy / "instances.csv"
    _edit(csv, "instance_type,chip_id,accelerator_count,price_kind,usd_per_hour,",
          "instance,chip_id,accelerator_count,price_kind,usd_per_hour,")
    _load_refuses(frozen_copy, r"instances.csv.*(required column 'instance_type' is missing|unexpected column 'instance')")
    _assert_cli_refuses(frozen_copy, "instances.csv")


def test_duplicate_period(frozen_copy):
    csv = frozen_copy / "financials.csv"
    _edit(csv, "Amazon,capex_gross,FY2023Q4,", "Amazon,capex_gross,FY2023Q3,")
    _load_refuses(frozen_copy, r"financials.csv, line \d+.*duplicate row")
    _assert_cli_refuses(frozen_copy, "duplicate row")


def test_unknown_source_id(frozen_copy):
    csv = frozen_copy / "instances.csv"
    line = _line_of(csv, "p5.48xlarge,h100-sxm,8,on_demand_pre_cut")
    text = csv.read_text(encoding="utf-8").splitlines()
    fields = text[line - 1].split(",")
    fields[6] = "no-such-source"
    text[line - 1] = ",".join(fields)
    csv.write_text("\n".join(text) + "\n", encoding="utf-8")
    _load_refuses(frozen_copy, rf"instances.csv, line {line}, column 'source_id': unknown source id 'no-such-source'")
    _assert_cli_refuses(frozen_copy, "unknown source id 'no-such-source'")


def test_silently_edited_value_is_caught_by_the_manifest(frozen_copy):
    _edit(frozen_copy / "financials.csv", ",12479,", ",12478,")
    with pytest.raises(DataError, match=r"financials.csv: contents differ from the checksum"):
        data.load_dataset(frozen_copy)
    _assert_cli_refuses(frozen_copy, "financials.csv: contents differ from the checksum")


def test_out_of_vocabulary_and_out_of_range_values(frozen_copy):
    _edit(frozen_copy / "financials.csv", "Amazon,capex_gross,FY2023Q3,2023-09-30,12479,USD_million",
          "Amazon,capex_gross,FY2023Q3,2023-09-30,12479,EUR_million")
    _load_refuses(frozen_copy, r"column 'unit': value 'EUR_million' fails check isin")


def test_a_derived_row_must_state_its_formula(frozen_copy):
    path = frozen_copy / "financials.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame.index[frame["confidence"] == "derived"][0], "formula"] = ""
    frame.to_csv(path, index=False)
    _load_refuses(frozen_copy, r"financials.csv.*a row with confidence 'derived' must state its formula")


def test_an_unknown_confidence_is_refused(frozen_copy):
    _edit(frozen_copy / "essay_claims.csv", ",reported,", ",certain,")
    _load_refuses(frozen_copy, r"essay_claims.csv, line \d+, column 'confidence': value 'certain'")


def test_epoch_band_order_is_checked(frozen_copy):
    csv = frozen_copy / "epoch_fleet.csv"
    _edit(csv, "Amazon,Nvidia,A100,2022Q1,h100e,5639,3345,9665", "Amazon,Nvidia,A100,2022Q1,h100e,5639,7345,9665")
    _load_refuses(frozen_copy, r"epoch_fleet.csv.*p5 <= median <= p95")


def test_a_period_end_outside_its_fiscal_year_is_refused(frozen_copy):
    csv = frozen_copy / "financials.csv"
    line = _line_of(csv, "Amazon,capex_gross,FY2023Q3,")
    _edit(csv, "Amazon,capex_gross,FY2023Q3,2023-09-30,", "Amazon,capex_gross,FY2023Q3,2021-09-30,")
    _load_refuses(frozen_copy, rf"financials.csv, line {line}.*period_end must fall in the fiscal year")


def test_an_annual_row_must_equal_its_four_quarters(data_copy):
    csv = data_copy / "financials.csv"
    quarters = pd.read_csv(csv).query("company == 'Amazon' and metric == 'capex_gross' and "
                                      "fiscal_period.str.fullmatch('FY2023Q[1-4]')")["value"]
    assert len(quarters) == 4
    row = ("Amazon,capex_gross,FY2023,2023-12-31,{},USD_million,amzn-10-k-2023q4,reported,"
           "Cash-flow line 'Purchases of property and equipment',,\n")
    text = csv.read_text(encoding="utf-8")
    csv.write_text(text + row.format(quarters.sum()), encoding="utf-8")
    data.write_manifest(data_copy)
    assert "FY2023" in set(data.load_dataset(data_copy)["financials"]["fiscal_period"])    # the sum: accepted
    csv.write_text(text + row.format(quarters.sum() + 10), encoding="utf-8")
    _load_refuses(data_copy, r"financials.csv, line \d+.*an annual value must equal the sum of its four quarters")


def test_every_owners_epoch_chip_is_mapped_and_amazons_are_rented(data_copy):
    chips = data_copy / "epoch_chips.csv"
    text = chips.read_text(encoding="utf-8")
    chips.write_text("\n".join(line for line in text.splitlines() if not line.startswith("TPU v7,")) + "\n", encoding="utf-8")
    _load_refuses(data_copy, r"epoch_fleet.csv, line \d+, column 'chip': Epoch chip 'TPU v7' has no row in epoch_chips.csv")
    chips.write_text(text.replace("B300,b300,p6-b300.48xlarge,", "B300,b300,,"), encoding="utf-8")
    _load_refuses(data_copy, r"epoch_chips.csv: Epoch chip 'B300' of Amazon's rows .* needs a rent_instance")


@pytest.mark.parametrize("old, new, message", [
    ("A100,a100-sxm-80,p4d.24xlarge,", "A100,a100-sxm-99,p4d.24xlarge,",
     r"epoch_chips.csv, line 2, column 'price_chip_id': unknown chip id 'a100-sxm-99'"),
    ("A100,a100-sxm-80,p4d.24xlarge,", "A100,a100-sxm-80,p4d.99xlarge,",
     r"epoch_chips.csv, line 2, column 'rent_instance': 'p4d.99xlarge' has no on-demand price in instances.csv"),
    ("A100,a100-sxm-80,p4d.24xlarge,", "A99,a100-sxm-80,p4d.24xlarge,",
     r"epoch_fleet.csv, line 2, column 'chip': Epoch chip 'A100' has no row in epoch_chips.csv"),
])
def test_epoch_chip_maps_resolve_to_known_chips_and_instances(frozen_copy, old, new, message):
    """epoch_chips.csv maps each of Epoch's chip labels to the chip whose prices apply and the instance whose rent
    applies: both must exist, and every chip in Amazon's rows of epoch_fleet.csv needs a row."""
    _edit(frozen_copy / "epoch_chips.csv", old, new)
    _load_refuses(frozen_copy, message)


def test_the_incumbent_vendor_needs_its_epoch_label(frozen_copy):
    """The incumbent's observed purchases (its share of spend, Epoch's band of its revenue) come from its Epoch rows."""
    _edit(frozen_copy / "vendors.csv", "nvidia,Nvidia GPUs,gpu,incumbent,Nvidia,", "nvidia,Nvidia GPUs,gpu,incumbent,,")
    _load_refuses(frozen_copy, r"vendors.csv.*the incumbent needs an epoch_vendor")


def test_unlisted_and_missing_files(frozen_copy):
    (frozen_copy / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(DataError, match="extra.csv: file is not in MANIFEST.sha256"):
        data.load_dataset(frozen_copy)
    (frozen_copy / "extra.csv").unlink()
    (frozen_copy / "sources.csv").unlink()
    with pytest.raises(DataError, match="sources.csv: file listed in MANIFEST.sha256 is missing"):
        data.load_dataset(frozen_copy)


# --- freshness ------------------------------------------------------------------------------------------------

def test_freshness_flags_series_more_than_two_quarters_old():
    ds = data.load_dataset(FROZEN)
    stale = freshness.stale_series(ds, "2026-11-26")
    flagged = set(stale["series"])
    assert "AWS operating income" in flagged           # latest 2025Q4: four quarters before 2026Q4
    assert "Amazon capex gross" not in flagged          # latest 2026Q2: two quarters before
    assert freshness.stale_series(ds, "2026-06-30").query("series == 'AWS operating income'").empty


# --- spot checks of loaded values against the sources they cite --------------------------------------------

def _value(ds, company, metric, period):
    fin = ds["financials"]
    row = fin[(fin.company == company) & (fin.metric == metric) & (fin.fiscal_period == period)]
    assert len(row) == 1
    return row.iloc[0]


def test_spot_check_amazon_capex_2023q3(ds):
    # Amazon Q3 2023 earnings release cash-flow table: "Purchases of property and equipment ... (12,479)", proceeds 1,181
    assert _value(ds, "Amazon", "capex_gross", "FY2023Q3")["value"] == 12479
    assert _value(ds, "Amazon", "capex_proceeds", "FY2023Q3")["value"] == 1181
    assert _value(ds, "Amazon", "capex_net", "FY2023Q3")["value"] == 12479 - 1181


def test_spot_check_net_equals_gross_minus_proceeds_everywhere(ds):
    fin = ds["financials"]
    amazon = fin[fin.company == "Amazon"].pivot(index="fiscal_period", columns="metric", values="value")
    both = amazon.dropna(subset=["capex_gross", "capex_proceeds", "capex_net"])
    assert len(both) >= 18
    assert (both["capex_gross"] - both["capex_proceeds"] == both["capex_net"]).all()


@pytest.mark.parametrize("year, gross, proceeds, net", [
    (2015, 5387, 798, 4589),         # FY2017 10-K cash-flow statement (the first with gross purchases and incentives)
    (2019, 16861, 4172, 12689),      # FY2019 10-K
    (2021, 61053, 5657, 55396),      # FY2021 10-K
])
def test_spot_check_amazon_annual_capex_from_the_10ks(ds, year, gross, proceeds, net):
    assert _value(ds, "Amazon", "capex_gross", f"FY{year}")["value"] == gross
    assert _value(ds, "Amazon", "capex_proceeds", f"FY{year}")["value"] == proceeds
    assert _value(ds, "Amazon", "capex_net", f"FY{year}")["value"] == net


def test_amazon_annual_capex_covers_2010_to_2021_each_from_a_10k(ds):
    fin = ds["financials"]
    annual = fin[(fin.company == "Amazon") & fin.fiscal_period.str.fullmatch(r"FY\d{4}")
                 & fin.metric.isin(["capex_gross", "capex_net"])]
    years = annual.groupby("metric")["fiscal_period"].apply(lambda p: sorted(int(x[2:]) for x in p))
    assert years["capex_net"] == list(range(2010, 2022))          # the line as filed, net of incentives, every year
    assert years["capex_gross"] == list(range(2015, 2022))        # gross purchases are disclosed from 2015 only
    assert _value(ds, "Amazon", "capex_net", "FY2010")["value"] == 979
    sources = ds["sources"].set_index("id")
    assert all(sources.loc[s, "title"].startswith("Amazon.com, Inc. Form 10-K") for s in annual["source_id"])


def test_microsoft_annual_capex_is_its_june_fiscal_years_and_its_quarters(ds):
    fin = ds["financials"]
    annual = fin[(fin.company == "Microsoft") & fin.fiscal_period.str.fullmatch(r"FY\d{4}")].set_index("fiscal_period")
    assert len(annual) >= 10 and (annual["period_end"].str[4:] == "-06-30").all()
    assert annual.loc["FY2016", "value"] == 8343                  # FY2016 10-K: 'Additions to property and equipment'
    quarters = fin[(fin.company == "Microsoft") & fin.fiscal_period.str.fullmatch(r"FY2024Q[1-4]")]["value"]
    assert len(quarters) == 4 and annual.loc["FY2024", "value"] == quarters.sum()


def test_trainium_price_rows_and_the_trainium1_assumption(ds):
    prices = ds["accelerator_specs"].query("metric == 'price' and chip_id in ['trainium1', 'trainium2']")
    trn2 = prices[prices["chip_id"] == "trainium2"].set_index("source_id")["value"]
    assert trn2["epoch-ai-chip-counts-repo"] == 4000 and trn2["eet-china-morgan-stanley-ai-asic-2"] == 3000
    trn1 = prices[prices["chip_id"] == "trainium1"].iloc[0]
    rent = ds["instances"].query("price_kind == 'on_demand'").set_index("instance_type")
    per_chip = rent["usd_per_hour"] / rent["accelerator_count"]
    ratio = per_chip["trn1.32xlarge"] / per_chip["trn2.48xlarge"]            # AWS's rent of its two chips
    assert trn1["confidence"] == "assumption" and trn1["value"] == round(4000 * ratio)
    assert (trn1["low"], trn1["high"]) == (round(trn2.min() * ratio), trn2.max())


def test_spot_check_instance_prices_and_specs(ds):
    inst = ds["instances"].set_index(["instance_type", "price_kind"])
    assert inst.loc[("p5.48xlarge", "on_demand_pre_cut"), "usd_per_hour"] == 98.32   # AWS price list 2024-01..2025-05
    assert inst.loc[("p5.48xlarge", "on_demand_post_cut"), "usd_per_hour"] == 55.04  # AWS price list 2025-06..
    specs = ds["accelerator_specs"]
    h100 = specs[(specs.chip_id == "h100-sxm") & (specs.metric == "bf16_dense_tflops")]
    assert h100["value"].iloc[0] == 989.4                                           # NVIDIA Hopper: 989.4 dense BF16
    measured = ds["measured_throughput"].set_index(["chip_id", "metric"])
    assert measured.loc[("h100-sxm", "gemm_bf16_8192_sustained_20s"), "value"] == 680.612


def test_a_folder_with_the_same_verified_manifest_reuses_the_tables_validated_here(tmp_path, monkeypatch):
    """Tables validated once serve every copy of the same files (its manifest pins their bytes); a copy whose file
    differs from its manifest is refused, and one whose manifest differs is validated."""
    import shutil
    from analysis.data import validation
    validated: list[Path] = []
    real_validate = validation.validate
    monkeypatch.setattr(validation, "validate", lambda directory: validated.append(directory) or real_validate(directory))
    first, second, edited = (shutil.copytree(FROZEN, tmp_path / name) for name in ("first", "second", "edited"))
    data.forget_loaded()
    try:
        one, two = data.load_dataset(first), data.load_dataset(second)
        assert validated == [first] and one.tables is two.tables and two.directory == second
        _edit(edited / "financials.csv", "Amazon,capex_gross,FY2023Q3,2023-09-30,12479,",
              "Amazon,capex_gross,FY2023Q3,2023-09-30,12480,")
        with pytest.raises(DataError, match="contents differ from the checksum"):
            data.load_dataset(edited)
        data.write_manifest(edited)
        changed = data.load_dataset(edited)
        assert validated == [first, edited] and changed.version != one.version
        assert not changed["financials"].equals(one["financials"])
        data.forget_loaded()
        data.load_dataset(second)
        assert validated == [first, edited, second]
    finally:
        data.forget_loaded()


# --- the build's validated snapshot (its kernels read it instead of validating the same files again)

def _load_fresh(monkeypatch, directory, snapshot=None):
    """load_dataset in this process as a kernel of a build would run it (no dataset cached yet)."""
    if snapshot is None:
        monkeypatch.delenv(data.SNAPSHOT_ENV, raising=False)
    else:
        monkeypatch.setenv(data.SNAPSHOT_ENV, str(snapshot))
    data.forget_loaded()
    try:
        return data.load_dataset(directory)
    finally:
        data.forget_loaded()


def test_a_snapshot_of_the_same_files_is_read_instead_of_validating(monkeypatch, frozen_copy, tmp_path):
    validated = _load_fresh(monkeypatch, frozen_copy)
    marked = data.Dataset(tables={**validated.tables, "sources": validated.tables["sources"].head(1)},
                          version=validated.version, directory=validated.directory)
    (tmp_path / "snapshot.arrow").write_bytes(data.snapshot(marked))
    loaded = _load_fresh(monkeypatch, frozen_copy, tmp_path / "snapshot.arrow")
    assert len(loaded.tables["sources"]) == 1 < len(validated.tables["sources"])      # it came from the snapshot
    assert loaded.version == validated.version and loaded.directory == frozen_copy.resolve()


def test_a_snapshot_of_other_files_or_none_is_ignored(monkeypatch, frozen_copy, tmp_path):
    validated = _load_fresh(monkeypatch, frozen_copy)
    (tmp_path / "snapshot.arrow").write_bytes(data.snapshot(validated))
    _edit(frozen_copy / "vendors.csv", "gpu", "GPU")                                     # an edit after the snapshot
    data.write_manifest(frozen_copy)
    with pytest.raises(DataError, match="vendors.csv, line 2, column 'kind'"):          # validated, not read
        _load_fresh(monkeypatch, frozen_copy, tmp_path / "snapshot.arrow")
    assert _load_fresh(monkeypatch, FROZEN, tmp_path / "gone.arrow").version == validated.version   # no snapshot


@pytest.mark.command
def test_a_kernel_reading_the_snapshot_does_not_import_pandera(ds, tmp_path):
    (tmp_path / "snapshot.arrow").write_bytes(data.snapshot(ds))
    probe = "import sys; from analysis import data; data.load_dataset(); print('pandera' in sys.modules)"
    plain = {k: v for k, v in os.environ.items() if k != data.SNAPSHOT_ENV}
    for env, imported in (({data.SNAPSHOT_ENV: str(tmp_path / "snapshot.arrow")}, "False"), ({}, "True")):
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                                env={**plain, **env})
        assert result.stdout.strip() == imported, result.stderr


def _walked_digest(directory, pattern: str) -> str:
    """What `tree_digest` computes, spelled out with pathlib: the relative path, size and bytes of every file
    `rglob(pattern)` selects, but those under `__pycache__`, in pathlib's order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        digest.update(f"{path.relative_to(directory).as_posix()}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_tree_digest_selects_and_orders_the_files_as_rglob_does(tmp_path):
    """Nested folders (a/b sorts before a-b by parts, after it as text), hidden files, `__pycache__`, a link to a
    file (counted), a linked folder (not entered), a dangling link, names that differ in case; and every input's
    part of the key: a changed byte, a renamed file."""
    (tmp_path / "a" / "__pycache__").mkdir(parents=True)
    (tmp_path / "a" / "b.txt").write_text("1")
    (tmp_path / "a" / "__pycache__" / "b.txt").write_text("cached")
    (tmp_path / "a-b.txt").write_text("2")
    (tmp_path / ".hidden.txt").write_text("3")
    (tmp_path / "B.TXT").write_text("4")
    (tmp_path / "z.yaml").write_text("5")
    (tmp_path / "link.txt").symlink_to(tmp_path / "a" / "b.txt")
    (tmp_path / "linked").symlink_to(tmp_path / "a")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing")
    for pattern in ("*", "*.txt", "*.yaml", "*.none"):
        assert data.tree_digest(tmp_path, pattern) == _walked_digest(tmp_path, pattern), pattern
    assert data.tree_digest(data.data_dir(), "*") == _walked_digest(data.data_dir(), "*")
    before = data.tree_digest(tmp_path, "*.txt")
    (tmp_path / "a" / "b.txt").write_text("9")
    changed = data.tree_digest(tmp_path, "*.txt")
    (tmp_path / "a" / "b.txt").rename(tmp_path / "a" / "c.txt")
    assert len({before, changed, data.tree_digest(tmp_path, "*.txt")}) == 3
    assert data.tree_digest(tmp_path, "*.yaml") == _walked_digest(tmp_path, "*.yaml")
