"""Memoizing data-only intermediate results (chip additions, prices, capex per year, ...) per dataset.

A result is remembered per Dataset object, by identity: a Dataset is frozen and hands out copies of its tables, so
one object always holds the same data, and two datasets (even with equal versions) never share a result. It is
forgotten with the dataset. Other arguments are part of the key with their types (1, 1.0 and True differ, as do
0.0 and -0.0), mappings such as a parameter set or schema with every item. Every call returns its own copy, so a
caller may change what it gets (`private_copy`: pandas objects shallow, which copy-on-write makes private; arrays,
containers and dataclasses item by item). A result of one parameter set (a forecast run and its draws: `per_run`) is
dropped by `forget_runs`, which a process that computes many sets calls after each.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import weakref
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from analysis.data import Dataset

#: id(dataset) -> (weak reference to it, its memo {(function, argument key): result}).
_MEMOS: dict[int, tuple[weakref.ref, dict]] = {}
#: The functions `per_run` remembers, which `forget_runs` forgets.
_PER_RUN: list[Callable] = []


def _memo_of(ds: Dataset) -> dict:
    """The memo of one Dataset object, created on first use and dropped when the object is collected."""
    key = id(ds)
    entry = _MEMOS.get(key)
    if entry is None or entry[0]() is not ds:
        def forget(ref: weakref.ref, key: int = key) -> None:
            if _MEMOS.get(key, (None,))[0] is ref:
                del _MEMOS[key]
        entry = _MEMOS[key] = (weakref.ref(ds, forget), {})
    return entry[1]


def _key(value):
    """A hashable key for an argument that tells apart values a function may treat differently: types are part of
    it, floats are compared by repr, and tuples, mappings (in order; a Params too, with every parameter) and
    dataclasses item by item."""
    if isinstance(value, tuple):
        return (tuple, *map(_key, value))
    if isinstance(value, Mapping):
        return (type(value), *((_key(k), _key(v)) for k, v in value.items()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), *(_key(getattr(value, f.name)) for f in dataclasses.fields(value)))
    return (type(value), repr(value) if isinstance(value, float) else value)


#: Types whose values cannot be changed in place: returned as they are.
_ATOMIC = frozenset({int, float, complex, str, bytes, bool, type(None)})


def private_copy(value):
    """A copy of a remembered result that its caller may change without changing the memo, for less than
    `copy.deepcopy` costs: a DataFrame, Series or Index shallow (pandas' copy-on-write, the default since pandas 3,
    copies its data on the first write to either side), an array copied, a dict, list, tuple or dataclass item by
    item; what cannot change in place (a number, text, a tuple or frozen dataclass holding only such) is returned as
    it is; a type with its own `__deepcopy__` (a parameter set returns itself) and anything else is deep-copied."""
    kind = type(value)
    if kind in _ATOMIC or isinstance(value, np.generic):
        return value
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        return value.copy(deep=False)
    if kind is np.ndarray:
        return value.copy()
    if kind is dict:
        return {k: private_copy(v) for k, v in value.items()}
    if kind is list:
        return [private_copy(v) for v in value]
    if kind is tuple:
        items = tuple(private_copy(v) for v in value)
        return value if all(a is b for a, b in zip(items, value)) else items
    if hasattr(kind, "__deepcopy__"):       # a type that says how it is copied (an immutable one returns itself)
        return copy.deepcopy(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = vars(value) if hasattr(value, "__dict__") else [f.name for f in dataclasses.fields(value)]
        items = {name: private_copy(getattr(value, name)) for name in names}
        if kind.__dataclass_params__.frozen and all(items[name] is getattr(value, name) for name in names):
            return value
        new = copy.copy(value)
        for name, item in items.items():
            object.__setattr__(new, name, item)
        return new
    return copy.deepcopy(value)


def per_dataset(fn: Callable) -> Callable:
    """Decorator for `fn(ds, ...)` whose result depends only on the Dataset `ds` and its other (hashable) arguments:
    computed once per dataset and argument values (defaults filled in), a private copy returned on every call."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def remembered(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        ds, *others = bound.arguments.values()
        if not isinstance(ds, Dataset):     # a stand-in (a test's table dict, say) may change: computed every time
            return fn(*bound.args, **bound.kwargs)
        memo = _memo_of(ds)
        key = (fn, *map(_key, others))
        if key not in memo:
            memo[key] = fn(*bound.args, **bound.kwargs)
        return private_copy(memo[key])

    return remembered


def forget(ds: Dataset, fn: Callable) -> None:
    """Drop what the per_dataset function `fn` remembered for `ds`. A process that computes many parameter sets on
    one dataset (a sweep worker) forgets each set's large results and keeps the data-only ones."""
    raw = getattr(fn, "__wrapped__", fn)
    memo = _memo_of(ds)
    for key in [k for k in memo if k[0] is raw]:
        del memo[key]


def per_run(fn: Callable) -> Callable:
    """`per_dataset` for a result of one parameter set (a forecast run, draws), which can be large: `forget_runs`
    drops it."""
    _PER_RUN.append(fn)
    return per_dataset(fn)


def forget_runs(ds: Dataset) -> None:
    """Drop every `per_run` result remembered for `ds`: a process that computes many parameter sets on one dataset (a
    sweep worker) keeps the data-only results and no set's draws."""
    for fn in _PER_RUN:
        forget(ds, fn)
