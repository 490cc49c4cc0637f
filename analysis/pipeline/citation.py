"""What a forwarded brief carries so that its reader can find, cite and check it: the latest locked release in the
hub (`forecasts/`) and whether this build shares its data, and the citation of CITATION.cff, with the project's
address when CITATION.cff records one (an https address: a forwarded PDF has no folder beside it)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from analysis.data import releases
from analysis.errors import UserError

CITATION_FILE = Path(__file__).resolve().parents[2] / "CITATION.cff"
#: The CITATION.cff keys that may hold the project's public address, in the order they are preferred.
ADDRESS_KEYS = ("repository-code", "url")


@dataclass(frozen=True)
class Release:
    """A locked release as the brief names it."""
    name: str
    date: str
    data_version: str


@dataclass(frozen=True)
class Citation:
    """How to cite the report: one line of text, and its public address (None when CITATION.cff gives none)."""
    text: str
    address: str | None


def latest_release(folder: Path) -> Release | None:
    """The newest release in the hub `folder` that was issued on its date (reconstructions excluded), or None."""
    models = [m for m in releases.issued(folder) if not m["reconstructed"]]
    if not models:
        return None
    newest = max(models, key=lambda m: (m["reference_date"], m["release"]))
    return Release(newest["release"], newest["reference_date"], newest["data_version"])


def _text(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{CITATION_FILE.name}: {where} must be text")
    return value.strip()


def _author(entry) -> str:
    if not isinstance(entry, dict):
        raise UserError(f"{CITATION_FILE.name}: each of authors must be a mapping with a name")
    if "name" in entry:
        return _text(entry["name"], "an author's name")
    return " ".join(_text(entry[k], f"an author's {k}") for k in ("given-names", "family-names") if k in entry)


def citation(path: Path = CITATION_FILE, release: Release | None = None) -> Citation:
    """The citation CITATION.cff declares (title, authors, version; the release when there is one), read as plain
    YAML data and checked: text fields must be text, an address must be https."""
    meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(meta, dict):
        raise UserError(f"{path.name}: not a CITATION.cff mapping")
    authors = meta.get("authors")
    if not isinstance(authors, list) or not authors:
        raise UserError(f"{path.name}: authors must be a non-empty list")
    address = next((meta[k] for k in ADDRESS_KEYS if k in meta), None)
    if address is not None and not (isinstance(address, str) and address.startswith("https://")):
        raise UserError(f"{path.name}: {' or '.join(ADDRESS_KEYS)} must be an https:// address")
    parts = [", ".join(map(_author, authors)), _text(meta.get("title"), "title"),
             f"Version {_text(str(meta.get('version', '')), 'version')}"]
    if release is not None:
        parts.append(f"Forecast release {release.name} ({release.date})")
    return Citation(". ".join(parts) + ".", address)
