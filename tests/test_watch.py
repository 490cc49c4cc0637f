"""`watch`: a build, then one per change of an input; a mistake after the first build costs one line, not the loop
(`analysis.pipeline.watch`)."""
from __future__ import annotations

import pytest

from analysis.errors import UserError
from analysis.pipeline import cache, cli, outdir, report, watch
from tests.conftest import one_line, run_cli

REASON = 'why: "a test value"'


class Rounds:
    """Stops the loop after `limit` rounds; before each round, applies the edit planned for it."""

    def __init__(self, edits: dict):
        self.edits, self.done = edits, 0

    def __call__(self) -> bool:
        if self.done in self.edits:
            self.edits[self.done]()
        self.done += 1
        return self.done <= max(self.edits) + 1


@pytest.fixture
def builds(tmp_path, monkeypatch):
    """A stand-in for the build (it records the values it was given, writes a small report) and no waiting."""
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    cache._checked.cache_clear()
    monkeypatch.setattr(watch, "POLL_SECONDS", 0)
    seen: list[dict] = []

    def build(out, values, *args, **kwargs):
        assert kwargs["workers"] is not None           # the kept workers are handed to every build
        seen.append(dict(values))
        with outdir.claim(out) as staging:
            (staging / "index.html").write_text(str(len(seen)), encoding="utf-8")
        return out
    monkeypatch.setattr(report, "build", build)
    monkeypatch.setattr(watch, "Workers", _NoWorkers)
    yield seen
    cache._checked.cache_clear()


class _NoWorkers:
    def __init__(self, dataset, static_images, key):
        self.key, self.closed = key, False

    def close(self) -> None:
        self.closed = True


def _params(path, value) -> None:
    path.write_text(f"description: mine\nvalues:\n  utilization: {{value: {value}, {REASON}}}\n", encoding="utf-8")


def _watch(tmp_path, mine, rounds, say=print):
    parser_args = cli._parser().parse_args(["watch", "--out", str(tmp_path / "r"), "--params", str(mine)])
    watch.watch(tmp_path / "r", None, mine, [], cli.data.data_dir(), lambda ds: cli._values(parser_args, ds),
                say=say, keep_going=rounds)


def test_it_builds_once_then_only_when_an_input_changes(tmp_path, builds, capsys):
    mine = tmp_path / "mine.yaml"
    _params(mine, 0.5)
    lines: list[str] = []
    _watch(tmp_path, mine, Rounds({3: lambda: _params(mine, 0.6), 4: lambda: None, 5: lambda: _params(mine, 7),
                                   6: lambda: None, 7: lambda: _params(mine, 0.4)}), say=lines.append)
    assert [b["utilization"] for b in builds] == [0.5, 0.6, 0.4]       # no build for unchanged rounds or a bad value
    assert len(lines) == 3 and all(line.startswith(f"built {tmp_path / 'r'} in ") for line in lines)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "utilization" in err[0] and "the last report is kept" in err[0]
    assert (tmp_path / "r" / "index.html").read_text(encoding="utf-8") == "3"


def test_a_mistake_before_the_first_build_ends_it_as_run_would(tmp_path, builds):
    mine = tmp_path / "mine.yaml"
    _params(mine, 7)
    with pytest.raises(UserError, match="utilization"):
        _watch(tmp_path, mine, Rounds({0: lambda: None}))
    assert builds == []


@pytest.mark.command
def test_the_command_refuses_a_missing_params_file_in_one_line(tmp_path):
    result = run_cli("watch", "--out", str(tmp_path / "r"), "--params", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2 and not (tmp_path / "r").exists()
    one_line(result.stderr, "--params", "no such file")


def test_an_edit_of_the_params_file_ends_the_wait_for_the_next_fingerprint(tmp_path):
    """Between fingerprints, watch looks at the --params file alone: an edit (here 0.1 s in) ends the wait long
    before its end; with no edit, or no such file, the whole wait passes."""
    import threading
    import time
    mine = tmp_path / "mine.yaml"
    _params(mine, 0.5)
    timer = threading.Timer(0.1, _params, (mine, 0.75))
    timer.start()
    started = time.monotonic()
    watch._wait_for_edit(mine, 30.0)
    assert time.monotonic() - started < 15.0
    timer.join()
    for path in (mine, tmp_path / "missing.yaml", None):
        started = time.monotonic()
        watch._wait_for_edit(path, 0.2)
        assert time.monotonic() - started >= 0.2
