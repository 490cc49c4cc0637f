"""Static chart images: a Vega-Lite spec as a palette PNG whose bytes depend on its pixels alone.

The committed notebooks carry one beside each chart's spec, for viewers that draw no Vega-Lite (GitHub, nbviewer's
static mode); `make notebooks` renders them. Rendering is most of a chart's cost (about 0.28 s of CPU each, 8 s for
the report's 29 charts), so the kernels of a report build, whose page draws the specs, render none
(STATIC_IMAGES_ENV=off), and the builder renders only the brief's few (`analysis.pipeline.charts`). Strict nbval
skips image/png outputs, so its kernels need none either (tests/conftest.py)."""
from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

STATIC_IMAGES_ENV = "ANALYSIS_STATIC_IMAGES"
#: A folder of images already drawn, each `<spec_digest>.png` (the committed notebooks' own, handed to the kernels of
#: `notebooks` by the builder): `png_of` takes an image from it rather than drawing the same spec again.
KNOWN_IMAGES_ENV = "ANALYSIS_KNOWN_IMAGES"
PNG_SCALE = 1
PNG_COLORS = 64          # a palette PNG is about a tenth of the size of vl-convert's RGBA one


def wanted() -> bool:
    """Whether charts shown in this process carry a static image (unless STATIC_IMAGES_ENV is "off")."""
    return os.environ.get(STATIC_IMAGES_ENV, "on") != "off"


@functools.cache
def start_renderer() -> None:
    """Start vl-convert's rendering engine in this process (about a second), e.g. while kernels run; once: the
    engine then stays (a later call would draw a throwaway chart, 0.04-0.07 s of CPU, for nothing)."""
    import vl_convert
    vl_convert.vegalite_to_svg({"mark": "point"})


def canonical(spec: dict) -> str | None:
    """A spec as canonical JSON (sorted keys); None if it is not plain JSON."""
    try:
        return json.dumps(spec, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return None


def spec_digest(spec: dict) -> str | None:
    """SHA-256 of a Vega-Lite spec as canonical JSON, without its `$schema`; None if it is not plain JSON."""
    text = canonical({k: v for k, v in spec.items() if k != "$schema"})
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


def png_of(spec: dict) -> bytes:
    """The palette PNG of `spec`: the one KNOWN_IMAGES_ENV's folder holds for its digest if any (the same bytes
    `render_png` gives: it draws a spec the same way every time), else drawn. `make notebooks` draws only the charts
    whose spec changed (about 0.28 s of CPU each, 31 charts)."""
    folder, digest = os.environ.get(KNOWN_IMAGES_ENV), spec_digest(spec)
    if folder and digest:
        try:
            return (Path(folder) / f"{digest}.png").read_bytes()
        except OSError:
            pass
    return render_png(spec)


def render_png(spec: dict) -> bytes:
    """vl-convert's rendering of `spec`, quantized to a palette (no timestamps or other metadata: the same spec gives
    the same bytes)."""
    import vl_convert       # imported when a chart is drawn: the CLI's other commands work without it
    image = Image.open(io.BytesIO(vl_convert.vegalite_to_png(spec, scale=PNG_SCALE))).convert("RGBA")
    return palette_png(image.quantize(colors=PNG_COLORS, method=Image.Quantize.FASTOCTREE))


def palette_png(image: Image.Image) -> bytes:
    """A palette image's pixels as a palette PNG whose bytes depend on the pixels alone: the palette holds exactly the
    colours used, sorted by (R, G, B, A), so two images that show the same pixels through palettes in another order
    (as the quantizer can return them) give the same bytes; no metadata, a fixed compression level."""
    values, index = _palette_colours(image)
    colours = values.astype(">u4").view(np.uint8).reshape(-1, 4)
    out = Image.fromarray(index.reshape(image.height, image.width).astype(np.uint8), mode="P")
    out.putpalette(colours[:, :3].tobytes(), rawmode="RGB")
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", compress_level=9, transparency=colours[:, 3].tobytes())
    return buffer.getvalue()


def _palette_colours(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The colours a palette image's pixels show, sorted, each as one big-endian 32-bit RGBA number (so that sorting
    them sorts by (R, G, B, A)), and each pixel's place among them: what `np.unique(return_inverse=True)` gives over
    the pixels' colours, found from the at most 256 entries (each entry's colour as `convert("RGBA")` gives it, from
    a strip of one pixel per entry with the image's palette and transparency), about twice as fast per chart."""
    if image.mode != "P":
        raise ValueError(f"expected a palette image, got mode {image.mode}")
    strip = image.crop((0, 0, 256, 1))          # keeps the palette and the transparency information
    strip.putdata(range(256))
    entry_keys = np.ascontiguousarray(np.asarray(strip.convert("RGBA"))).view(">u4").reshape(-1)
    pixels = np.asarray(image).reshape(-1)
    used = np.flatnonzero(np.bincount(pixels, minlength=256))
    values, place = np.unique(entry_keys[used], return_inverse=True)
    table = np.zeros(256, dtype=np.intp)
    table[used] = place.reshape(-1)
    return values, table[pixels]
