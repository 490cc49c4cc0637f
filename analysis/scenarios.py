"""Named scenarios: YAML files in scenarios/, each a set of parameter values with a one-line reason per value.

    description: one line
    values:
      trainium_ceiling: {value: 0.75, why: "..."}

Every value goes through the parameter schema; a bad file stops the run with exit status 2.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from analysis.data import Dataset
from analysis.errors import ParameterError
from analysis.params import resolve

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def names(directory: Path = SCENARIO_DIR) -> list[str]:
    """Scenario names (file stems), sorted."""
    return sorted(p.stem for p in directory.glob("*.yaml"))


def load(name: str, directory: Path = SCENARIO_DIR) -> dict:
    """A scenario's description, raw values and reasons; structural errors raise ParameterError."""
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise ParameterError(f"unknown scenario '{name}'; known scenarios: {', '.join(names(directory))}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("description"), str) or not isinstance(doc.get("values"), dict):
        raise ParameterError(f"{path}: expected a mapping with 'description' (text) and 'values' (a mapping)")
    values, reasons = {}, {}
    for key, entry in doc["values"].items():
        if not isinstance(entry, dict) or set(entry) != {"value", "why"} or not str(entry["why"]).strip():
            raise ParameterError(f"{path}: value '{key}' must be {{value: ..., why: \"a one-line reason\"}}")
        values[key], reasons[key] = entry["value"], str(entry["why"]).strip()
    return {"name": name, "description": doc["description"], "values": values, "reasons": reasons, "path": path}


def resolve_scenario(name: str, dataset: Dataset | None = None, directory: Path = SCENARIO_DIR) -> dict:
    """The full parameter set of a scenario (defaults overridden by its values), validated by the schema."""
    scenario = load(name, directory)
    try:
        return resolve(scenario["values"], dataset)
    except ParameterError as exc:
        raise ParameterError(f"{scenario['path']}: {exc}") from None
