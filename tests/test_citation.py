"""A citable release: CITATION.cff is valid and carries pyproject.toml's version; the release note template exists."""
import tomllib

import pytest
import yaml

from tests.conftest import ROOT


def test_citation_names_the_version_in_pyproject():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert {"cff-version", "message", "title", "authors", "version", "license"} <= set(citation)
    assert citation["version"] == project["version"] and citation["license"] == "MIT"


def test_the_release_note_template_asks_for_data_parameters_model_and_resolved_forecasts():
    text = (ROOT / "docs" / "release-note-template.md").read_text(encoding="utf-8")
    for heading in ("**Data**", "**Parameters**", "**Model**", "## Forecasts that resolved"):
        assert heading in text


def test_the_brief_cites_the_release_and_refuses_an_address_a_forwarded_pdf_could_not_follow(tmp_path):
    from analysis.errors import UserError
    from analysis.pipeline import citation
    release = citation.Release("2030.01", "2030-01-15", "abcdef123456")
    said = citation.citation(release=release)
    assert said.text.startswith("The aws-accelerators-report contributors. AI accelerators at AWS")
    assert said.text.endswith("Version " + tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
                              + ". Forecast release 2030.01 (2030-01-15).")
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    for extra, address in (("repository-code: \"https://example.org/r\"\n", "https://example.org/r"), ("", None)):
        (tmp_path / "CITATION.cff").write_text(cff + extra, encoding="utf-8")
        assert citation.citation(tmp_path / "CITATION.cff").address == address
    for bad in ("url: \"index.html\"\n", "url: \"javascript:alert(1)\"\n", "url: 3\n"):
        (tmp_path / "CITATION.cff").write_text(cff + bad, encoding="utf-8")
        with pytest.raises(UserError, match="https://"):
            citation.citation(tmp_path / "CITATION.cff")
    (tmp_path / "CITATION.cff").write_text(cff.replace("authors:", "creators:"), encoding="utf-8")
    with pytest.raises(UserError, match="authors"):
        citation.citation(tmp_path / "CITATION.cff")
