"""An unchanged re-run leaves the report as it is (`analysis.pipeline.uptodate`); any changed input, report file or
record means a build."""
from __future__ import annotations

import pytest

from analysis import data
from analysis.pipeline import cache, cli, outdir, report, uptodate


@pytest.fixture
def builds(tmp_path, monkeypatch):
    """`run` with a stand-in build that writes a small report and counts its calls; its own cache folder."""
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    cache._checked.cache_clear()
    calls: list[dict] = []

    def build(out, values, *args, **kwargs):
        calls.append(dict(values))
        with outdir.claim(out) as staging:            # as the real build writes its folder
            (staging / "index.html").write_text(f"report of {values.as_of}", encoding="utf-8")
            (staging / "results.json").write_text("{}", encoding="utf-8")
        return out
    monkeypatch.setattr(report, "build", build)
    yield calls
    cache._checked.cache_clear()


def test_an_unchanged_rerun_leaves_the_report_and_says_so(tmp_path, builds, capsys):
    out = str(tmp_path / "r")
    assert cli.main(["run", "--out", out]) == 0 and len(builds) == 1
    capsys.readouterr()
    assert cli.main(["run", "--out", out]) == 0 and len(builds) == 1
    assert "is up to date" in capsys.readouterr().out


@pytest.mark.parametrize("change", ["edited file", "added file", "removed file", "other parameter", "no cache",
                                    "forged record", "other folder", "unsafe cache folder"])
def test_a_change_anywhere_means_a_build(tmp_path, builds, change):
    out = tmp_path / "r"
    assert cli.main(["run", "--out", str(out)]) == 0
    argv = ["run", "--out", str(out)]
    if change == "edited file":
        (out / "index.html").write_text("edited", encoding="utf-8")
    elif change == "added file":
        (out / "planted.html").write_text("<script>", encoding="utf-8")
    elif change == "removed file":
        (out / "results.json").unlink()
    elif change == "other parameter":
        argv += ["--set", "utilization=0.5"]
    elif change == "no cache":
        argv += ["--no-cache"]
    elif change == "forged record":
        (record,) = (tmp_path / "cache" / "reports").iterdir()
        record.write_bytes(record.read_bytes().replace(b'"inputs"', b'"Inputs"'))
    elif change == "unsafe cache folder":         # others could have planted the record: not read
        (tmp_path / "cache").chmod(0o777)
        cache._checked.cache_clear()
    elif change == "other folder":
        argv = ["run", "--out", str(tmp_path / "elsewhere")]
    assert cli.main(argv) == 0
    assert len(builds) == 2, change


def test_the_fingerprint_covers_the_data_the_notebooks_options_and_a_params_file(data_copy, tmp_path):
    base = uptodate.fingerprint(None, None, [], data.data_dir())
    assert base == uptodate.fingerprint(None, None, [], data.data_dir())          # deterministic
    copied = uptodate.fingerprint(None, None, [], data_copy)
    with (data_copy / "sources.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert uptodate.fingerprint(None, None, [], data_copy) != copied                 # one byte of data
    assert uptodate.fingerprint("asic-surge", None, [], data.data_dir()) != base
    assert uptodate.fingerprint(None, None, ["utilization=0.5"], data.data_dir()) != base
    mine = tmp_path / "mine.yaml"
    mine.write_text("a", encoding="utf-8")
    first = uptodate.fingerprint(None, mine, [], data.data_dir())
    mine.write_text("b", encoding="utf-8")
    assert uptodate.fingerprint(None, mine, [], data.data_dir()) != first             # the file's bytes, not its name
    assert uptodate.fingerprint(None, tmp_path / "missing.yaml", [], data.data_dir()) is None
