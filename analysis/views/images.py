"""Static chart images: a Vega-Lite spec as a palette PNG whose bytes depend on its pixels alone.

The committed notebooks carry one beside each chart's spec, for viewers that draw no Vega-Lite (GitHub, nbviewer's
static mode); `make notebooks` renders them. Rendering is most of a chart's cost (about 0.28 s of CPU each, 8 s for
the report's 29 charts), so the kernels of a report build, whose page draws the specs, render none
(STATIC_IMAGES_ENV=off), and the builder renders only the brief's few (`analysis.pipeline.charts`). Strict nbval
skips image/png outputs, so its kernels need none either (tests/conftest.py)."""
from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image

STATIC_IMAGES_ENV = "ANALYSIS_STATIC_IMAGES"
PNG_SCALE = 1
PNG_COLORS = 64          # a palette PNG is about a tenth of the size of vl-convert's RGBA one


def wanted() -> bool:
    """Whether charts shown in this process carry a static image (unless STATIC_IMAGES_ENV is "off")."""
    return os.environ.get(STATIC_IMAGES_ENV, "on") != "off"


def start_renderer() -> None:
    """Start vl-convert's rendering engine in this process (about a second, once), e.g. while kernels run."""
    import vl_convert
    vl_convert.vegalite_to_svg({"mark": "point"})


def render_png(spec: dict) -> bytes:
    """vl-convert's rendering of `spec`, quantized to a palette (no timestamps or other metadata: the same spec gives
    the same bytes)."""
    import vl_convert       # imported when a chart is drawn: the CLI's other commands work without it
    image = Image.open(io.BytesIO(vl_convert.vegalite_to_png(spec, scale=PNG_SCALE))).convert("RGBA")
    return palette_png(image.quantize(colors=PNG_COLORS, method=Image.Quantize.FASTOCTREE))


def palette_png(image: Image.Image) -> bytes:
    """An image's pixels as a palette PNG whose bytes depend on the pixels alone: the palette holds exactly the colours
    used, sorted by (R, G, B, A), so two images that show the same pixels through palettes in another order (as the
    quantizer can return them) give the same bytes; no metadata, a fixed compression level."""
    # Each RGBA pixel as one big-endian 32-bit number: sorting those sorts by (R, G, B, A), and a 1-D np.unique is
    # about ten times as fast as np.unique(axis=0) over pixel rows (measured: 0.02 s against 0.26 s per chart).
    keys = np.ascontiguousarray(np.asarray(image.convert("RGBA"))).view(">u4").reshape(-1)
    values, index = np.unique(keys, return_inverse=True)
    if len(values) > 256:
        raise ValueError(f"{len(values)} colours do not fit a PNG palette")
    colours = values.astype(">u4").view(np.uint8).reshape(-1, 4)
    out = Image.fromarray(index.reshape(image.height, image.width).astype(np.uint8), mode="P")
    out.putpalette(colours[:, :3].tobytes(), rawmode="RGB")
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", compress_level=9, transparency=colours[:, 3].tobytes())
    return buffer.getvalue()
