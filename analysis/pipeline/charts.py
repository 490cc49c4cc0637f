"""Chart images kept between builds: a chart's PNG stored under the digest of its Vega-Lite spec, so that a build
renders only the charts whose spec changed (rendering is most of a notebook's time: about 0.2 s of CPU a chart).

Every build's kernel runs `install()` once as it starts (KERNEL_ARGUMENTS); in a build that uses its cache, whose
kernels have `environment(folder, salt)`, it hands `analysis.views.present` a `remembered` renderer. The key of an
entry is a SHA-256 over the salt (the builder's code digest: the package's files and the installed distributions, vl-
convert and Pillow included) and the spec as canonical JSON. An entry is a checked file (SHA-256 line, then the PNG)
in `<cache folder>/charts/`, read back only if intact and a PNG that Pillow reads as the palette image `present`
writes; anything else is rendered again and replaced. Without these arguments (nbval, a notebook run by hand, `--no-
cache`) every chart is rendered."""
from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

from analysis.pipeline.checked_file import read_verified, write_atomic

FOLDER_ENV, SALT_ENV = "ANALYSIS_CHART_CACHE", "ANALYSIS_CHART_SALT"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Run once by a kernel as it starts (IPython's exec_lines), leaving no name in the notebook's namespace.
KERNEL_ARGUMENTS = ["--IPKernelApp.exec_lines="
                    "import analysis.pipeline.charts as _charts; _charts.install(); del _charts"]


def environment(folder: Path, salt: str) -> dict[str, str]:
    """The environment of kernels that keep their charts' images in `folder`, keyed with `salt`."""
    return {FOLDER_ENV: str(folder), SALT_ENV: salt}


def install() -> None:
    """In a kernel started with `kernel_arguments`: render charts through the store."""
    from analysis.views import present
    folder, salt = os.environ.get(FOLDER_ENV), os.environ.get(SALT_ENV)
    if folder and salt:
        present.png_store = partial(remembered, Path(folder), salt)


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
