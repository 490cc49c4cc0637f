"""A citable release: CITATION.cff is valid and carries pyproject.toml's version; the release note template exists."""
import tomllib

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
