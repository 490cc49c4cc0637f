"""A report section as an object: its declaration (`Section`) and what computing it gives (`SectionResult`).

A section module declares its parameters by name (their defaults live only in data/parameters.csv), the parts it
shows in reading order, and its headline numbers; its notebook narrates between the parts. The builder, the
execution cache, `compare` and `sweep` read the same declaration."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from analysis import data
from analysis.data import params
from analysis.data.params import Params
from analysis.errors import ParameterError
from analysis.models import outlook, owners
from analysis.views.exhibits import Collector, Exhibit, Headline, Headlines

Part = Callable[[SimpleNamespace, Collector], None]
#: A notebook's parameters cell binds each parameter to this: "the default from data/parameters.csv".
DEFAULT = None
PARAMETERS_CELL_HEAD = (
    "# This section's parameters; None = the default from data/parameters.csv (`make params` lists each default, unit,",
    "# allowed range and source). Set one with papermill -p NAME VALUE, several with -y \"overrides: {name: value}\";",
    "# a name this section does not read is refused.")


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


@dataclass(frozen=True)
class Section:
    """One report section: `parameters` are the names it reads (the only ones a report run passes to its
    notebook); `display_only` those among them that change what is shown but no headline number; `inert` those it
    reads (they feed a model it shares) that cannot change what it shows at the defaults, each with the reason;
    `parts` build
    its exhibits in order, sharing a namespace (`ds`, `p`, `schema` and what earlier parts leave in it);
    `headlines(ds, p)` gives its headline numbers alone (for `compare` and `sweep`), if it has any to attribute;
    `uses_forecast` says that it reads the erosion forecast (which a build computes once for all such sections).
    A section that reads the parameter `owner` shows, for an owner other than Amazon, the parts of `other_owner`
    instead (by the names of `parts`, so that its notebook's cells stay the same; a part it does not name shows
    nothing), after `other_setup`. `headline_charts` names the parts whose charts are the page's headline charts
    (its first screen, "when?"), for either owner."""
    name: str
    notebook: str
    title: str
    parameters: tuple[str, ...]
    parts: Sequence[Part]
    display_only: tuple[str, ...] = ()
    inert: Mapping[str, str] = field(default_factory=dict)
    headlines: Callable[[data.Dataset, Params], list[dict[str, Any]]] | None = None
    uses_forecast: bool = False
    setup: Callable[[SimpleNamespace], None] = field(default=lambda v: None)
    other_owner: Mapping[str, Part] = field(default_factory=dict)
    other_setup: Callable[[SimpleNamespace], None] = field(default=lambda v: None)
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
        """Every part's exhibits, in order, and the published headline groups."""
        shared = SimpleNamespace(ds=ds, p=p, schema=params.schema(ds))
        other = "owner" in self.parameters and not owners.is_report_owner(ds, p)
        if other:
            shared.owner = owners.owner_label(ds, str(p.owner))
        (self.other_setup if other else self.setup)(shared)
        parts, published = {}, {}
        for part in self.parts:
            collector = Collector(headline_charts=part.__name__ in self.headline_charts)
            run = self.other_owner.get(part.__name__, _nothing) if other else part
            run(shared, collector)
            parts[part.__name__] = collector.exhibits
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

    def sources(self, ds: data.Dataset) -> set[str]:
        """The sources of this section's parameters."""
        schema = params.schema(ds)
        return {schema[name].source_id for name in self.parameter_names(ds)}


def _nothing(v: SimpleNamespace, x: Collector) -> None:
    """A part that shows nothing (one of Amazon's that another owner has no counterpart of)."""
