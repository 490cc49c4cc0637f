"""Per-dataset memoization: one result per dataset object and argument values, never shared between datasets,
a private copy for every caller, forgotten with the dataset."""
import gc

import pandas as pd

from analysis import data
from analysis.data import memo
from analysis.models import fleet, observations, outlook
from tests.conftest import FROZEN


def counting(calls: list):
    """A memoized function that records each computation and returns its argument's type and repr."""
    @memo.per_dataset
    def describe(ds, value, scale=1.0):
        calls.append(value)
        return pd.DataFrame({"type": [type(value).__name__], "repr": [repr(value)], "scale": [scale]})
    return describe


def test_same_dataset_and_arguments_compute_once(ds):
    calls = []
    describe = counting(calls)
    first = describe(ds, 2.0)
    assert describe(ds, 2.0).equals(first) and describe(ds, value=2.0, scale=1.0).equals(first)
    assert calls == [2.0]


def test_arguments_that_compare_equal_but_differ_are_told_apart(ds):
    calls = []
    describe = counting(calls)
    values = [1, 1.0, True, 0.0, -0.0, (1, 2), (1.0, 2)]
    results = [describe(ds, v)["repr"].iloc[0] for v in values]
    assert results == [repr(v) for v in values] and len(calls) == len(values)


def test_a_caller_may_change_its_copy(ds):
    first = fleet.chip_additions(ds, "units")
    first.loc[:, "median"] = -1.0
    again = fleet.chip_additions(ds, "units")
    assert (again["median"] >= 0).all()
    assert again.equals(fleet.chip_additions.__wrapped__(ds, "units"))


def test_datasets_never_share_results(ds):
    frozen = data.load_dataset(FROZEN)
    for one in (ds, frozen):
        assert observations.annual_capex(one).equals(observations.annual_capex.__wrapped__(one))
    # Same version and directory, other tables: a different object, so a different result.
    fleet_rows = ds["epoch_fleet"]
    edited = data.Dataset({**ds.tables, "epoch_fleet": fleet_rows.assign(median=fleet_rows["median"] * 2)},
                          ds.version, ds.directory)
    doubled = fleet.chip_additions(edited, "units")
    assert (doubled["median"] == 2 * fleet.chip_additions(ds, "units")["median"]).all()


def test_results_are_forgotten_with_the_dataset(ds):
    copy_of_ds = data.Dataset(dict(ds.tables), ds.version, ds.directory)
    fleet.chip_additions(copy_of_ds, "units")
    key = id(copy_of_ds)
    assert key in memo._MEMOS
    del copy_of_ds
    gc.collect()
    assert key not in memo._MEMOS


def test_a_stand_in_for_a_dataset_is_computed_every_time(ds):
    calls = []
    describe = counting(calls)
    tables = dict(ds.tables)
    describe(tables, 1.0)
    describe(tables, 1.0)
    assert calls == [1.0, 1.0]


def test_forget_runs_drops_each_parameter_sets_results_and_keeps_the_data_only_ones(ds):
    from analysis.data import params
    from analysis.models import owner_outlook, owners
    p = params.resolve({"mc_draws": 1000}, ds)
    outlook.run(ds, p, params.schema(ds), sensitivity=False)
    owner_outlook.owner_hindcast(ds, p)
    remembered = {key[0] for key in memo._memo_of(ds)}
    run_results = {outlook._forecast.__wrapped__, owners._draws.__wrapped__, owner_outlook.owner_hindcast.__wrapped__}
    assert run_results <= remembered and observations.annual_capex.__wrapped__ in remembered
    outlook.forget_runs(ds)
    left = {key[0] for key in memo._memo_of(ds)}
    assert not run_results & left and observations.annual_capex.__wrapped__ in left


def test_a_caller_changing_frames_and_arrays_inside_a_result_leaves_the_memo_as_it_was(ds):
    """`private_copy` copies pandas objects shallow (copy-on-write keeps them private) and arrays, containers and
    dataclasses item by item: whatever a caller changes in place, the next caller gets the first result."""
    import dataclasses

    import numpy as np

    @dataclasses.dataclass(frozen=True)
    class Run:
        draws: dict
        table: pd.DataFrame

    @memo.per_dataset
    def run(ds, seed):
        return [Run({"x": np.arange(3.0)}, pd.DataFrame({"a": [1.0, 2.0]})), (np.ones(2), pd.Series([5.0]))]
    first = run(ds, 1)
    first[0].draws["x"][:] = -1
    first[0].draws["y"] = np.zeros(1)
    first[0].table.loc[0, "a"] = -1
    first[0].table["b"] = 0
    first[1][0][0] = -1
    first[1][1].iloc[0] = -1
    again = run(ds, 1)
    assert list(again[0].draws) == ["x"] and again[0].draws["x"].tolist() == [0.0, 1.0, 2.0]
    assert again[0].table.equals(pd.DataFrame({"a": [1.0, 2.0]}))
    assert again[1][0].tolist() == [1.0, 1.0] and again[1][1].tolist() == [5.0]
