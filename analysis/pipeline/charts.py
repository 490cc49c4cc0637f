"""The brief's chart images: a report build's kernels render no static image (`analysis.views.images`; the page
draws each chart's Vega-Lite spec), so the builder renders the few the brief shows, keeping each under the digest of
its spec so that a re-run renders only charts that changed (about 0.3 s of CPU a chart, and about 0.65 s to start
vl-convert's engine in a process).

A chart whose spec is one a committed notebook shows takes that notebook's image instead (`committed_images`):
`make notebooks` drew it from the same spec with the same function (`images.render_png`), so a build with the
committed notebooks' parameters and data renders nothing and never starts the engine.

The key of an entry is a SHA-256 over the salt (the builder's code digest: the package's files and the installed
distributions, vl-convert and Pillow included) and the spec as canonical JSON. An entry is a checked file (SHA-256
line, then the PNG) in `<cache folder>/charts/`, read back only if intact and a PNG that Pillow reads as the palette
image `images.render_png` writes; anything else is rendered again and replaced. Without a cache folder (`--no-cache`)
every image is rendered."""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path

from analysis.pipeline.checked_file import read_verified, write_atomic
from analysis.views.images import canonical, render_png, spec_digest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"     # the IEND chunk, always the same 12 bytes: a PNG cut short lacks it


def png(spec: dict, folder: Path | None, salt: str, committed: Mapping[str, bytes] | None = None) -> bytes:
    """The palette PNG of `spec`: a committed notebook's image of the same spec if `committed` (`committed_images`)
    holds one, else kept in `folder` (under `salt`) if there is one, else rendered."""
    known = (committed or {}).get(spec_digest(spec) or "")
    if known is not None:
        return known
    return render_png(spec) if folder is None else remembered(folder, salt, spec, render_png)


def committed_images(notebook: Path, mimetype: str) -> dict[str, bytes]:
    """The image beside each chart of a committed notebook (outputs holding a `mimetype` spec and an image/png), under
    `spec_digest` of the spec; only intact palette PNGs, as `images.render_png` writes them. A missing or unreadable
    notebook, or an output of any other shape, gives nothing (those charts are rendered)."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    found: dict[str, bytes] = {}
    cells = nb.get("cells") if isinstance(nb, dict) else None
    for cell in cells if isinstance(cells, list) else ():
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        for output in outputs if isinstance(outputs, list) else ():
            data = output.get("data") if isinstance(output, dict) else None
            if not (isinstance(data, dict) and isinstance(data.get(mimetype), dict)
                    and isinstance(data.get("image/png"), str)):
                continue
            digest = spec_digest(data[mimetype])
            try:
                body = base64.b64decode(data["image/png"], validate=False)
            except (binascii.Error, ValueError):
                continue
            if digest and _is_palette_png(body):
                found[digest] = body
    return found


def _is_palette_png(body: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError
    if not (body.startswith(PNG_SIGNATURE) and body.endswith(PNG_END)):
        return False
    try:
        with Image.open(io.BytesIO(body)) as image:
            image.verify()
            return image.format == "PNG" and image.mode == "P"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return False


def remembered(folder: Path, salt: str, spec: dict, render: Callable[[dict], bytes]) -> bytes:
    """The PNG of `spec`: from the store if it holds an intact one, else `render(spec)`, stored."""
    text = canonical(spec)
    if text is None:                    # not plain JSON: rendered, not stored
        return render(spec)
    key = hashlib.sha256(salt.encode() + b"\0" + text.encode()).hexdigest()
    path = folder / f"{key}.png"
    body = read_verified(path)
    if body is not None and _is_palette_png(body):
        return body
    png = render(spec)
    write_atomic(path, png)
    return png
