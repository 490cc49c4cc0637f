"""A report section as an object: its declaration (`Section`), the state its parts share (`SectionState`, and
`OwnerState` for another owner's parts) and what computing it gives (`SectionResult`).

A section module declares its parameters by name (their defaults live only in data/parameters.csv), its state class,
the parts it shows in reading order, and its headline numbers; its notebook narrates between the parts. The builder,
the execution cache, `compare` and `sweep` read the same declaration."""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from analysis import data
from analysis.data import params
from analysis.data.params import Parameter, Params
from analysis.errors import ParameterError
from analysis.models import outlook, owners
from analysis.views.exhibits import Collector, DataTable, Exhibit, Headline, Headlines, Table, Text

if TYPE_CHECKING:
    import pandas as pd

    from analysis.models.owner_outlook import OwnerForecast
    from analysis.views.verdict import Verdict


class SectionState:
    """What a section's parts share: the dataset `ds`, the parameter values `p` and their `schema`. A section's
    subclass declares, with its type, every attribute its setup and parts set (a part reads only what its setup or an
    earlier part has set)."""

    def __init__(self, ds: data.Dataset, p: Params, schema: dict[str, Parameter]) -> None:
        self.ds, self.p, self.schema = ds, p, schema


class OwnerState(SectionState):
    """What the parts shown for an owner other than Amazon share (analysis.sections.owner_view): the owner's label,
    its draws, shares, funnel and forecast (`owner_view.core`), its hindcast (`owner_view.setup`) and, for the
    summary, its findings, assumptions and the verdict (`owner_view.summary_setup`)."""
    draws: owners.OwnerDraws
    last: int
    shares: pd.DataFrame
    funnel: pd.DataFrame
    forecast: OwnerForecast
    yearly: pd.DataFrame
    challenger: str
    company: str
    capex_metric: str
    skipped: list[tuple[str, int]]
    hindcast: pd.DataFrame
    coverage: pd.DataFrame | None
    findings: list[Headline]
    assumptions: list[Headline]
    verdict: Verdict

    def __init__(self, ds: data.Dataset, p: Params, schema: dict[str, Parameter], owner: str) -> None:
        super().__init__(ds, p, schema)
        self.owner = owner


S = TypeVar("S", bound=SectionState)
#: A part: adds its exhibits to the collector, reading (and possibly extending) the section's state.
Part = Callable[[S, Collector], None]
#: A notebook's parameters cell binds each parameter to this: "the default from data/parameters.csv".
DEFAULT = None
PARAMETERS_CELL_HEAD = (
    "# This section's parameters; None = the default from data/parameters.csv (`make params` lists each default, unit,",
    "# allowed range and source). Set one with papermill -p NAME VALUE, several with -y \"overrides: {name: value}\";",
    "# a name this section does not read is refused.")
#: The comment above a notebook's call of its section (`Section.run_hint`), before the example.
RUN_HINT_HEAD = (
    "# Every number in this notebook comes from the call below: this section's parts, computed on the data in data/",
    "# with the parameters above. To see one part again with another value, in a new cell:")


@dataclass(frozen=True)
class SectionResult:
    """A computed section: its parts (name -> exhibits, in reading order), the parameter values it ran with and
    its published headline groups (results.json section -> Headlines)."""
    name: str
    values: Mapping[str, Any]
    parts: dict[str, list[Exhibit]]
    published: dict[str, Headlines]

    def __getitem__(self, part: str) -> list[Exhibit]:
        return self.parts[part]

    @property
    def headlines(self) -> tuple[Headline, ...]:
        """The section's own headline results."""
        return self.published[self.name].items if self.name in self.published else ()


def shown_text(exhibits: list[Exhibit]) -> list[str]:
    """What a part's texts and tables say, to tell whether a parameter changed it (charts follow their tables)."""
    return [e.markdown if isinstance(e, Text) else e.frame.to_csv() for e in exhibits
            if isinstance(e, (Text, Table, DataTable))]


@dataclass(frozen=True)
class Section(Generic[S]):
    """One report section: `parameters` are the names it reads (the only ones a report run passes to its
    notebook); `display_only` those among them that change what is shown but no headline number; `inert` those it
    reads (they feed a model it shares) that cannot change what it shows at the defaults, each with the reason;
    `state` is its `SectionState` class, which `compute` makes and `setup` then `parts` fill; `parts` build
    its exhibits in order, sharing that state (`ds`, `p`, `schema` and what `setup` and earlier parts set);
    `headlines(ds, p)` gives its headline numbers alone as `Headline`s (for `compare` and `sweep`), if it has any
    to attribute; `uses_forecast` says that it reads the erosion forecast (which each of a build's workers
    computes once for the sections of this kind it runs, `runner.chains`). A section that reads the parameter
    `owner` shows, for an owner other than Amazon, the parts of `other_owner` instead (by the names of `parts`, so
    that its notebook's cells stay the same; a part it does not name shows nothing), sharing an `OwnerState`, after
    `other_setup`. `headline_charts` names the parts whose
    charts are the page's headline charts (its first screen, "when?"), for either owner."""
    name: str
    notebook: str
    title: str
    parameters: tuple[str, ...]
    state: type[S]
    parts: Sequence[Part[S]]
    display_only: tuple[str, ...] = ()
    inert: Mapping[str, str] = field(default_factory=dict)
    headlines: Callable[[data.Dataset, Params], list[Headline]] | None = None
    uses_forecast: bool = False
    setup: Callable[[S], None] = field(default=lambda v: None)
    other_owner: Mapping[str, Part[OwnerState]] = field(default_factory=dict)
    other_setup: Callable[[OwnerState], None] = field(default=lambda v: None)
    headline_charts: tuple[str, ...] = ()

    def parameter_names(self, ds: data.Dataset) -> tuple[str, ...]:
        """Every parameter this section reads: the forecast's first if it uses the forecast (they depend on the
        vendors in the data), then its own, each once."""
        return tuple(dict.fromkeys((outlook.parameters(ds) if self.uses_forecast else ()) + self.parameters))

    def inert_parameters(self, ds: data.Dataset) -> dict[str, str]:
        """The parameters it reads that cannot change what it shows at the defaults, with the reasons: its own
        `inert` and, if it shows the forecast, the forecast's (`outlook.inert_parameters`)."""
        return {**(outlook.inert_parameters(ds) if self.uses_forecast else {}), **self.inert}

    def values(self, overrides: Mapping[str, Any] | None = None, ds: data.Dataset | None = None) -> Params:
        """The validated parameter set: defaults with `overrides`, each of which must be one of this section's
        parameters (a name this section does not read is refused, never silently ignored)."""
        ds = ds or data.load_dataset()
        names = self.parameter_names(ds)
        foreign = [name for name in (overrides or {}) if name not in names]
        if foreign:
            raise ParameterError(f"section {self.name} ({self.notebook}) does not read {', '.join(map(repr, foreign))}; "
                                 f"its parameters are {', '.join(names)}")
        return params.resolve(dict(overrides or {}), ds)

    def compute(self, ds: data.Dataset, p: Params) -> SectionResult:
        """Every part's exhibits, in order, and the published headline groups: the parts on the section's state after
        `setup` or, for another owner, the parts of `other_owner` on an `OwnerState` after `other_setup` (a part
        another owner has no counterpart of shows nothing)."""
        schema = params.schema(ds)
        runs: dict[str, Callable[[Collector], None]]
        if "owner" in self.parameters and not owners.is_report_owner(ds, p):
            other = OwnerState(ds, p, schema, owners.owner_label(ds, str(p.owner)))
            self.other_setup(other)
            runs = {name: functools.partial(part, other) for name, part in self.other_owner.items()}
        else:
            state = self.state(ds, p, schema)
            self.setup(state)
            runs = {part.__name__: functools.partial(part, state) for part in self.parts}
        parts: dict[str, list[Exhibit]] = {}
        published: dict[str, Headlines] = {}
        for name in (part.__name__ for part in self.parts):
            collector = Collector(headline_charts=name in self.headline_charts)
            if name in runs:
                runs[name](collector)
            parts[name] = collector.exhibits
            published.update({e.section: e for e in collector.exhibits if isinstance(e, Headlines)})
        return SectionResult(self.name, p, parts, published)

    def run(self, overrides: Mapping[str, Any] | None = None, namespace: Mapping[str, Any] | None = None) -> SectionResult:
        """In a notebook: load the dataset, check the parameter values and compute. The values are `overrides` (the
        parameters cell; papermill -y "overrides: {name: value}") over any parameter bound by name in the notebook's
        `namespace` (papermill -p NAME VALUE), each checked like the command line's."""
        ds = data.load_dataset()
        namespace = namespace or {}
        named = {name: namespace[name] for name in params.schema(ds) if namespace.get(name, DEFAULT) is not DEFAULT}
        return self.compute(ds, self.values({**named, **(overrides or {})}, ds))

    def parameters_cell(self, ds: data.Dataset) -> str:
        """The source of the notebook's parameters cell: `overrides = {}`, then every parameter this section reads
        bound to DEFAULT (None: "the default from data/parameters.csv", so each default lives there only), with
        its label and unit as the comment that `papermill --help-notebook` prints."""
        schema = params.schema(ds)
        lines = [f"{name} = {DEFAULT}  # {schema[name].title} ({schema[name].unit})" for name in self.parameter_names(ds)]
        return "\n".join([*PARAMETERS_CELL_HEAD, "overrides = {}", *lines])

    def run_hint(self, ds: data.Dataset) -> tuple[str, ...]:
        """The comment lines above the notebook's call of this section: what the call computes, and an example that
        re-runs one part with one parameter at the high end of its sensitivity band (data/parameters.csv): the first
        such parameter, of its own before the forecast's, that changes a part after the first (the call's cell shows
        the first), and the first part it changes."""
        schema = params.schema(ds)
        inert = self.inert_parameters(ds)
        banded = [n for n in dict.fromkeys((*self.parameters, *self.parameter_names(ds))) if schema[n].high is not None
                  and schema[n].high != schema[n].default and n not in inert and n not in self.display_only]
        before = self.compute(ds, self.values({}, ds)).parts
        for name in banded:
            high = int(schema[name].high) if schema[name].type == "int" else schema[name].high  # type: ignore[arg-type]
            after = self.compute(ds, self.values({name: high}, ds)).parts
            moved = [part for part in list(before)[1:] if shown_text(before[part]) != shown_text(after[part])]
            if moved:
                return (*RUN_HINT_HEAD, f'#     show(SECTION.run({{"{name}": {high!r}}})["{moved[0]}"])')
        return (*RUN_HINT_HEAD, f'#     show(SECTION.run()["{list(before)[min(1, len(before) - 1)]}"])')

    def sources(self, ds: data.Dataset) -> set[str]:
        """The sources of this section's parameters."""
        schema = params.schema(ds)
        return {schema[name].source_id for name in self.parameter_names(ds)}
