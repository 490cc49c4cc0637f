"""The report's sections, one module each (see `analysis.sections.base`), registered in reading order.

`SECTIONS` serves the notebooks, the report builder and its execution cache, `compare`'s attribution, `sweep` and
`python -m analysis params --format json`."""
from analysis.sections import capex, claims, erosion, owners, portfolio, summary
from analysis.sections.base import Section

SECTIONS: dict[str, Section] = {module.SECTION.name: module.SECTION
                                for module in (summary, capex, portfolio, erosion, claims, owners)}
#: The sections whose headline numbers `compare` attributes to parameter changes and `sweep` tabulates.
ATTRIBUTED: dict[str, Section] = {name: s for name, s in SECTIONS.items() if s.headlines is not None}


def by_notebook(notebook: str) -> Section:
    """The section a notebook (file name) narrates."""
    return next(s for s in SECTIONS.values() if s.notebook == notebook)
