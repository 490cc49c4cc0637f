"""The same inputs give the same bytes on any x86-64 machine: numpy's machine-specific SIMD code is off in every
process that computes the report's numbers (`analysis.NUMPY_DISPATCH_ENV`), so an AVX-512 machine and an AVX2-only
one (where the committed notebooks of 2026-12-07 differed in their last digits) run the same code."""
import os
import platform
import subprocess
import sys

import pytest

import analysis
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="numpy's x86-64 targets")


def _pinned_in_a_new_process(code: str) -> str:
    """What `code` prints in a new interpreter started without the variable (as a user's shell would start one)."""
    env = {k: v for k, v in os.environ.items() if k != analysis.NUMPY_DISPATCH_ENV}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_this_test_process_and_the_kernels_it_starts_run_numpys_baseline_code():
    """pytest imports the package first (`-p tests.preload`): its own numpy, and the environment that strict nbval's
    kernels and the builds' workers inherit, are pinned."""
    assert analysis.numerics_pinned()
    assert os.environ[analysis.NUMPY_DISPATCH_ENV] == analysis.NUMPY_DISPATCH_OFF


def test_importing_the_package_first_pins_numpy_and_children_inherit_it():
    assert _pinned_in_a_new_process("import analysis, numpy; print(analysis.numerics_pinned())") == "True"
    child = ("import analysis, os, subprocess, sys; print(subprocess.run([sys.executable, '-c', 'import numpy, "
             "analysis; print(analysis.numerics_pinned())'], capture_output=True, text=True).stdout.strip())")
    assert _pinned_in_a_new_process(child) == "True"       # numpy imported first there, but the variable inherited


def test_numpy_imported_before_the_package_keeps_its_own_paths_and_says_so():
    """On a machine with one of numpy's dispatch targets (any x86-64 machine with AVX2), numpy imported first runs
    it, and `numerics_pinned` reports that rather than claiming otherwise."""
    targets = _pinned_in_a_new_process("from numpy._core import _multiarray_umath as u; "
                                       "print(any(u.__cpu_features__.get(t) for t in u.__cpu_dispatch__))")
    if targets != "True":
        pytest.skip("this machine has none of numpy's dispatch targets")
    assert _pinned_in_a_new_process("import numpy, analysis; print(analysis.numerics_pinned())") == "False"
    child = ("import numpy, analysis, subprocess, sys; print(analysis.numerics_pinned(), subprocess.run("
             "[sys.executable, '-c', 'import numpy, analysis; print(analysis.numerics_pinned())'], "
             "capture_output=True, text=True).stdout)")
    assert _pinned_in_a_new_process(child).split() == ["False", "True"]     # its children are pinned all the same
