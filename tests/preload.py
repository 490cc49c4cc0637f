"""The first plugin pytest loads (`-p tests.preload`, pyproject.toml): it imports the package before the nbval
plugin loads nbformat (and with it jsonschema), so that the package's block of rfc3987_syntax spares every pytest
process about 1-2.5 s of grammar compilation, and so that numpy is pinned to its baseline code in this process and
in the kernels and workers it starts (analysis/__init__.py).

A plugin of its own rather than `-p analysis`: pytest rewrites the asserts of every module of a package named by
`-p`, compiling the package from source in each process instead of reading its compiled modules."""
import analysis  # noqa: F401
