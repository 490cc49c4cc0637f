"""Named scenarios: YAML files in scenarios/, each a set of parameter values with a one-line reason per value.

    description: one line
    values:
      trainium_ceiling: {value: 0.75, why: "..."}

Every value goes through the parameter schema; a bad file stops the run with exit status 2. Files are read
strictly: UTF-8 (a byte-order mark is dropped), at most MAX_BYTES, nested at most MAX_DEPTH deep, plain YAML (no
anchors, aliases or tags, no key given twice), and a scenario's name is a name, never a path. PyYAML reads YAML 1.1,
whose plain scalars YAML 1.2 reads otherwise (`33:45` is 2025 in base 60, `1_000` is 1000, `0x10` is 16, `010` is
8, `on`/`off`/`yes`/`no` are booleans, `2026-02-20` is a date): each such unquoted form is refused by name
(`YAML11_FORMS`), so a value means the same in every YAML reader; a date is written quoted.
$ANALYSIS_SCENARIO_DIR, if set, replaces scenarios/ (tests use it; kernels inherit it).
"""
from __future__ import annotations

import copy
import os
import re
from functools import lru_cache
from pathlib import Path

import yaml

from analysis.data import Dataset, read_bounded, shorten
from analysis.errors import ParameterError
from analysis.data.params import Params, resolve

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO_DIR_ENV = "ANALYSIS_SCENARIO_DIR"
#: The scenario of what was known when the essay appeared: its `observed_through` is the last year the essay knew, its
#: `capex_outlook_vintage` the month its view dates to.
ESSAY = "essay-2024"
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}", re.ASCII)
MAX_BYTES = 64 * 1024
MAX_TEXT = 500
MAX_DEPTH = 10
FORBIDDEN_TOKENS = {yaml.AnchorToken: "an anchor (&)", yaml.AliasToken: "an alias (*)", yaml.TagToken: "a tag (!)"}
OPENING = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
           yaml.FlowSequenceStartToken)
CLOSING = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
#: Unquoted scalars that YAML 1.1 (PyYAML) and YAML 1.2 read differently: (pattern, what it is, what to write instead).
YAML11_FORMS = (
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}([Tt ].*)?", re.ASCII), "an unquoted date",
     "quote the date, \"{value}\", which is then checked as a date"),
    (re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?", re.ASCII), "a base-60 number in YAML 1.1 (33:45 = 2025)",
     "write the number in decimal, or quote it"),
    (re.compile(r"[-+]?0[xXoObB][0-9A-Fa-f_]*", re.ASCII), "a hexadecimal, octal or binary number",
     "write the number in decimal"),
    (re.compile(r"[-+]?[0-9.]*[0-9]_[0-9_.]*([eE][-+]?[0-9]+)?", re.ASCII), "a number with '_' between its digits, "
     "which YAML 1.1 reads as the number and YAML 1.2 as text", "write the digits without '_'"),
    (re.compile(r"[-+]?0[0-9]+", re.ASCII), "a number with a leading zero, octal in YAML 1.1 and decimal in YAML 1.2",
     "write it without the leading zero"),
    (re.compile(r"yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF"), "a boolean in YAML 1.1 and text in YAML 1.2",
     "write true or false, or quote the text"),
)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping key given twice (plain YAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(None, None, f"key {shorten(key)} is not text", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key '{key}' appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def scenario_dir() -> Path:
    """The scenarios folder: $ANALYSIS_SCENARIO_DIR if set, else the repository's scenarios/."""
    return Path(os.environ.get(SCENARIO_DIR_ENV, SCENARIO_DIR))


def names(directory: Path | None = None) -> list[str]:
    """Scenario names (file stems), sorted."""
    return sorted(p.stem for p in (directory or scenario_dir()).glob("*.yaml"))


def _parse(path: Path):
    raw = read_bounded(path, MAX_BYTES)
    if raw is None:
        raise ParameterError(f"{path}: {path.stat().st_size} bytes; a scenario file holds at most {MAX_BYTES}")
    return copy.deepcopy(_parsed(path, raw))


@lru_cache(maxsize=64)
def _parsed(path: Path, raw: bytes):
    """The YAML document of a file's bytes `raw` (remembered by path and bytes: a sweep resolves the essay's
    scenario once per parameter set; the file is read every time, so an edit is seen)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        _check_tokens(path, text)
        return yaml.load(text, Loader=_UniqueKeyLoader)      # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParameterError(f"{path}{where}: not valid YAML ({problem})") from None


def _check_tokens(path: Path, text: str) -> None:
    """Refuse anchors, aliases and tags, nesting deeper than MAX_DEPTH (before the recursive composer sees it) and
    the unquoted forms of YAML11_FORMS, each with its line."""
    depth = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        line = f"{path}, line {token.start_mark.line + 1}"
        for kind, what in FORBIDDEN_TOKENS.items():
            if isinstance(token, kind):
                raise ParameterError(f"{line}: {what} is not allowed in a scenario file (write each value out)")
        depth += isinstance(token, OPENING) - isinstance(token, CLOSING)
        if depth > MAX_DEPTH:
            raise ParameterError(f"{line}: nested more than {MAX_DEPTH} levels deep; a scenario or sweep file is "
                                 "a few levels of mappings and lists")
        if isinstance(token, yaml.ScalarToken) and token.plain:
            for pattern, what, instead in YAML11_FORMS:
                if pattern.fullmatch(token.value):
                    raise ParameterError(f"{line}: {shorten(token.value)} is {what}; "
                                         + instead.format(value=token.value[:40]))


def _text(value) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) <= MAX_TEXT and "\n" not in value.strip()


def load(name: str, directory: Path | None = None) -> dict:
    """A scenario's description, raw values and reasons; structural errors raise ParameterError."""
    directory = directory or scenario_dir()
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ParameterError(f"scenario {shorten(name)}: a scenario is named by lower-case letters, digits and '-' "
                             f"(a file in scenarios/, not a path); known scenarios: {', '.join(names(directory))}")
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise ParameterError(f"unknown scenario '{name}'; known scenarios: {', '.join(names(directory))}")
    return {"name": name, **load_file(path)}


def load_file(path: Path) -> dict:
    """The description, raw values and reasons of a file in the scenario format (a scenario, or `run --params`)."""
    doc = _parse(path)
    if not isinstance(doc, dict) or set(doc) != {"description", "values"} or not _text(doc["description"]) \
            or not isinstance(doc["values"], dict):
        raise ParameterError(f"{path}: expected exactly 'description' (one line of text) and 'values' (a mapping)")
    values, reasons = {}, {}
    for key, entry in doc["values"].items():
        if not isinstance(entry, dict) or set(entry) != {"value", "why"} or not _text(entry["why"]) \
                or not isinstance(entry["value"], (str, int, float)):
            raise ParameterError(f"{path}: value {shorten(key)} must be {{value: <number or text>, "
                                 f"why: \"a one-line reason\"}}")
        values[key], reasons[key] = entry["value"], entry["why"].strip()
    return {"description": doc["description"].strip(), "values": values, "reasons": reasons, "path": path}


def params_file(path: Path, dataset: Dataset | None = None) -> dict:
    """The raw values of a parameter file given to `run --params` (the scenario format), checked like a scenario:
    a missing file, bad YAML, a bad structure or a value the schema refuses raises ParameterError naming the file."""
    if not path.is_file():
        raise ParameterError(f"--params {path}: no such file")
    try:
        loaded = load_file(path)
    except OSError as exc:
        raise ParameterError(f"--params {path}: cannot be read ({exc.strerror})") from None
    _validated(loaded, dataset)
    return loaded["values"]


def _validated(loaded: dict, dataset: Dataset | None) -> Params:
    try:
        return resolve(loaded["values"], dataset)
    except ParameterError as exc:
        raise ParameterError(f"{loaded['path']}: {exc}") from None


def resolve_scenario(name: str, dataset: Dataset | None = None, directory: Path | None = None) -> Params:
    """The full parameter set of a scenario (defaults overridden by its values), validated by the schema."""
    return _validated(load(name, directory), dataset)


def check_all(dataset: Dataset | None = None, directory: Path | None = None) -> None:
    """Validate every scenario file (the erosion notebook runs them all, whichever one the report starts from)."""
    for name in names(directory):
        resolve_scenario(name, dataset, directory)
