"""Economics of AI accelerators at AWS: data, parameters, models and the report builder."""
import importlib
import os
import platform
import sys

# jsonschema (imported by nbformat and altair) imports rfc3987_syntax when it is installed, which compiles 38 Lark
# grammars (about 2.5 s, in every process and every kernel) only to check the "iri" and "iri-reference" formats;
# neither the notebook schema nor the Vega-Lite schema uses them. Blocking that import skips the cost: jsonschema
# then simply has no iri checks. A process that imported it already keeps it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None blocks the import; typeshed allows modules only

# numpy runs, per machine, SIMD code of its own for some functions (exp and log, sums of products, sorting): a build on
# a machine with AVX-512 gave other last digits in every section than one on a machine with AVX2 only (the committed
# notebooks of 2026-12-07 failed strict nbval on the second). With these groups off, numpy runs its x86-64 baseline
# code everywhere, so the same inputs give the same bytes on any x86-64 machine; on one with AVX2 only, turning them
# off changed no byte of the report and no measurable time. Read when numpy is imported: set here, before any module
# of the package imports it, and inherited by the kernels, workers and sweep processes a command starts (also where
# this process imported numpy first: it keeps its own paths, which `numerics_pinned` tells, but its children do not).
NUMPY_DISPATCH_ENV = "NPY_DISABLE_CPU_FEATURES"
NUMPY_DISPATCH_OFF = "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"      # numpy 2.x's dispatch targets on x86-64
if platform.machine() in ("x86_64", "AMD64"):
    os.environ.setdefault(NUMPY_DISPATCH_ENV, NUMPY_DISPATCH_OFF)


def numerics_pinned() -> bool:
    """Whether numpy runs no machine-specific SIMD code in this process (every dispatch target off)."""
    umath = importlib.import_module("numpy._core._multiarray_umath")     # where numpy lists them (no typed API)
    return not any(umath.__cpu_features__.get(target) for target in umath.__cpu_dispatch__)
