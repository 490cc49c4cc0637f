"""Attribution: why one run's headline numbers differ from another's. Each differing parameter is swapped alone from
the first run's value to the other's and the attributed sections' headlines (`analysis.sections.ATTRIBUTED`, each
with the parameters it reads, as the report build does) are recomputed in-process; what is left is the interaction.
A data change, when the runs were built on different data versions, is one more part, computed first.

`compare` shows the result; `sweep` and `refresh` use `section_values` alone."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from analysis.data import Dataset, params
from analysis.errors import ParameterError
from analysis.sections import ATTRIBUTED
from analysis.views.exhibits import Headline

TOLERANCE = 1e-9                     # relative: below it two values count as equal


class Compared(Protocol):
    """What attribution reads of a run: its name, its results.json and its parameter values."""
    @property
    def name(self) -> str: ...

    @property
    def results(self) -> dict: ...

    @property
    def parameters(self) -> dict: ...


def as_number(value) -> float | None:
    """A finite number as a float, else None (text, lists, booleans, NaN, and integers too large for a float)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def difference(a, b) -> float | None:
    """b - a, or None when either is not a number."""
    a, b = as_number(a), as_number(b)
    return None if a is None or b is None else b - a


def same(a, b) -> bool:
    """Equal, or numbers equal within the relative TOLERANCE."""
    d = difference(a, b)
    return a == b if d is None else abs(d) <= TOLERANCE * max(1.0, abs(a), abs(b))


def section_parameters(ds: Dataset) -> dict[str, set[str]]:
    """The parameters each attributed section reads (the only ones its report run could change)."""
    return {name: set(section.parameter_names(ds)) for name, section in ATTRIBUTED.items()}


def section_values(ds: Dataset, schema: dict, run_values: Mapping[str, Any], declared: dict[str, set[str]],
                   sections=tuple(ATTRIBUTED)) -> dict[str, dict]:
    """Headline values of the attributed `sections` for one parameter set, each section evaluated with the
    parameters it reads (the others at their defaults, as in a report build)."""
    def values_of(name: str) -> params.Params:
        return params.resolve({n: v for n, v in run_values.items() if n in declared[name]}, ds)
    def headlines(name: str) -> list[Headline]:
        compute = ATTRIBUTED[name].headlines
        assert compute is not None          # ATTRIBUTED holds the sections that declare their headlines
        return compute(ds, values_of(name))
    return {name: {h.key: h.value for h in headlines(name)} for name in sections}


def attribute(ds: Dataset, schema: dict, a: Compared, b: Compared, names: list[str], ds_b: Dataset | None = None,
              progress: Callable[[str], None] = lambda line: None) -> dict:
    """Why b's headline numbers differ from a's: the change from swapping each parameter in `names` alone from a's
    value to b's, and the interaction (total change minus the sum of the single swaps), per attributed section
    and key. When b was built on other data (`ds_b`, a's data being `ds`), the data change comes first, as one part
    (a's parameters on b's data), and each parameter is then swapped on b's data. A swap that the schema refuses
    alone (e.g. a constraint between two parameters) is reported, not computed; `elsewhere` names differing
    parameters that no attributed section uses. `check` lists keys whose recomputed values differ from those stored
    in the reports."""
    ds_b = ds if ds_b is None else ds_b
    schema_b = schema if ds_b is ds else params.schema(ds_b)
    declared = section_parameters(ds)
    base = section_values(ds, schema, a.parameters, declared)
    target = section_values(ds_b, schema_b, b.parameters, declared)
    start, swaps, references, refused, elsewhere = base, {}, {}, {}, []
    if ds_b.version != ds.version:
        change = f"data {ds.version} -> {ds_b.version}"
        try:
            start = swaps[change] = section_values(ds_b, schema_b, a.parameters, declared)
            references[change] = base
        except ParameterError as exc:
            refused[change] = str(exc)
    for number, name in enumerate(names, 1):
        progress(f"{b.name}: [{number}/{len(names)}] swapping {name}")
        if not any(name in d for d in declared.values()):
            elsewhere.append(name)
            continue
        try:
            uses = [s for s in ATTRIBUTED if name in declared[s]]     # other sections keep a's values
            swaps[name] = {**start, **section_values(ds_b, schema_b, {**a.parameters, name: b.parameters.get(name)},
                                                     declared, uses)}
            references[name] = start
        except ParameterError as exc:
            refused[name] = str(exc)
    explained = {}
    check = []
    for section in ATTRIBUTED:
        for key, first in base[section].items():
            end = target[section].get(key)
            for run, value in ((a, first), (b, end)):
                stored = run.results["results"].get(section, {}).get(key, {}).get("value")
                if not same(stored, value):
                    check.append(f"{run.name}: {section}.{key}")
            total = difference(first, end)
            parts = {n: difference(references[n][section].get(key), s[section].get(key)) for n, s in swaps.items()}
            known = [v for v in parts.values() if v is not None]
            interaction = None if total is None or len(known) < len(parts) or refused else total - sum(known)
            explained[f"{section}.{key}"] = {"total": total, "parameters": parts, "interaction": interaction}
    return {"a": a.name, "b": b.name, "parameters": list(swaps), "refused": refused, "elsewhere": elsewhere,
            "data": None if ds_b.version == ds.version else {"a": ds.version, "b": ds_b.version},
            "explained": explained,
            "check": check}
