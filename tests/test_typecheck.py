"""mypy over `analysis/` (configured in pyproject.toml) as one unit of the test run: in `make test` it runs on one
worker while the other runs tests, instead of before them all (a cold check takes about 25 s); so in `make check`."""
from __future__ import annotations

import pytest

from tests.conftest import ROOT


@pytest.mark.typecheck
def test_mypy_finds_no_error_in_the_package(monkeypatch):
    from mypy import api
    monkeypatch.chdir(ROOT)
    out, err, status = api.run([])
    assert status == 0, out + err
    assert out.startswith("Success: no issues found"), out
