"""The brief's chart images: a report build's kernels render no static image (`analysis.views.images`; the page
draws each chart's Vega-Lite spec), so the builder renders the few the brief shows, keeping each under the digest of
its spec so that a re-run renders only charts that changed (about 0.3 s of CPU a chart).

The key of an entry is a SHA-256 over the salt (the builder's code digest: the package's files and the installed
distributions, vl-convert and Pillow included) and the spec as canonical JSON. An entry is a checked file (SHA-256
line, then the PNG) in `<cache folder>/charts/`, read back only if intact and a PNG that Pillow reads as the palette
image `images.render_png` writes; anything else is rendered again and replaced. Without a cache folder (`--no-cache`)
every image is rendered."""
from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

from analysis.pipeline.checked_file import read_verified, write_atomic
from analysis.views.images import render_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png(spec: dict, folder: Path | None, salt: str) -> bytes:
    """The palette PNG of `spec`: kept in `folder` (under `salt`) if there is one, else rendered."""
    return render_png(spec) if folder is None else remembered(folder, salt, spec, render_png)


def _is_palette_png(body: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError
    if not body.startswith(PNG_SIGNATURE):
        return False
    try:
        with Image.open(io.BytesIO(body)) as image:
            image.verify()
            return image.format == "PNG" and image.mode == "P"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return False


def remembered(folder: Path, salt: str, spec: dict, render: Callable[[dict], bytes]) -> bytes:
    """The PNG of `spec`: from the store if it holds an intact one, else `render(spec)`, stored."""
    try:
        canonical = json.dumps(spec, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):     # not plain JSON: rendered, not stored
        return render(spec)
    key = hashlib.sha256(salt.encode() + b"\0" + canonical.encode()).hexdigest()
    path = folder / f"{key}.png"
    body = read_verified(path)
    if body is not None and _is_palette_png(body):
        return body
    png = render(spec)
    write_atomic(path, png)
    return png
