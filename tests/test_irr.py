"""analysis.models.irr against its reference, numpy-financial's irr: on every cash flow the report's IRRs come from
and on generated ones, the same NaN wherever it gives NaN and the same root; the same monthly rate to a relative 1e-12
(with a floor of 1e-14 per month near rate 0, where m = 1/x - 1 cancels digits) on the report's flows. On generated
flows numpy-financial's own error can exceed 1e-12 (an eigenvalue problem of a badly scaled companion matrix, e.g. a
107-month path falling 47 % a year: 2e-12 against an 80-digit Newton solution; -1000, then 0 for 32 months, then
2.2e-13: 3e-9); wherever the two differ by more, the root must be the same and the rate here the closer to it."""
from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import data
from analysis.data import memo
from analysis.models import finance, irr, landlord
from analysis.sections import SECTIONS

RTOL, ATOL = 1e-12, 1e-14


def reference(rows) -> np.ndarray:
    return np.array([npf.irr(row) for row in np.asarray(rows, float)])


def assert_same_irr(rows) -> None:
    np.testing.assert_allclose(irr.monthly_irr(rows), reference(rows), rtol=RTOL, atol=ATOL)   # NaN where it is NaN


def exact_rate(vector, near: float) -> Decimal:
    """The monthly rate of the root of sum_t v_t x^t next to x = 1/(1 + near), by Newton's method in 80 digits."""
    with localcontext() as context:
        context.prec = 80
        coefficients, x = [Decimal(float(v)) for v in vector], 1 / (1 + Decimal(near))
        for _ in range(60):
            value = slope = Decimal(0)
            for c in reversed(coefficients):
                slope, value = slope * x + value, value * x + c
            x -= value / slope
        return 1 / x - 1


def assert_same_or_more_exact_irr(rows) -> None:
    """The same NaN, and the same rate to RTOL and ATOL; or else the same root (Newton's method in 80 digits from
    either rate reaches it) and this module's rate the closer to it."""
    rows = np.asarray(rows, float)
    ours, theirs = irr.monthly_irr(rows), reference(rows)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    for i in np.flatnonzero(np.abs(ours - theirs) > RTOL * np.abs(theirs) + ATOL):
        exact = exact_rate(rows[i], ours[i])
        assert abs(exact_rate(rows[i], theirs[i]) - exact) <= Decimal("1e-30") * abs(exact), (rows[i].tolist(), ours[i],
                                                                                           theirs[i])
        assert abs(Decimal(ours[i]) - exact) < abs(Decimal(theirs[i]) - exact), (rows[i].tolist(), ours[i], theirs[i])


@pytest.fixture(scope="module")
def report_flows() -> np.ndarray:
    """Every cash-flow vector whose IRR the portfolio section computes at the defaults (one row each)."""
    seen = []
    original = irr.monthly_irr

    def spy(rows):
        seen.append(np.asarray(rows, float))
        return original(rows)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(irr, "monthly_irr", spy)
        ds = data.load_dataset()
        memo.forget(ds, landlord.realized_percentiles)     # remembered if an earlier test computed the section
        section = SECTIONS["portfolio"]
        section.compute(ds, section.values({}, ds))
    width = max(rows.shape[1] for rows in seen)
    return np.concatenate([np.pad(rows, ((0, 0), (0, width - rows.shape[1]))) for rows in seen])


def test_the_reports_cash_flows_give_numpy_financials_irr(report_flows):
    assert len(report_flows) > 3000
    assert (irr._sign_changes(report_flows) > 1).sum() > 100     # vectors with several sign changes are among them
    assert_same_irr(report_flows)


def test_few_of_the_reports_cash_flows_need_numpy_financial(report_flows, monkeypatch):
    """The speed of the section rests on this: at most 1 % of its vectors take an eigenvalue problem each."""
    asked = []
    monkeypatch.setattr(irr, "_reference", lambda rows: asked.append(len(rows)) or reference(rows))
    irr.monthly_irr(report_flows)
    assert sum(asked) <= 0.01 * len(report_flows)


def test_textbook_vectors_and_their_root_choice():
    # numpy-financial's own examples, two with several sign changes (-100, 100, 0, -7: two roots; the one nearer 0)
    vectors = [[-100, 39, 59, 55, 20], [-100, 0, 0, 74], [-100, 100, 0, -7], [-100, 100, 0, 7], [-5, 10.5, 1, -8, 1]]
    expected = [0.28095, -0.0955, -0.0833, 0.06206, 0.0886]
    for vector, rate in zip(vectors, expected):
        assert irr.monthly_irr([vector])[0] == pytest.approx(rate, abs=1e-5)
        assert_same_irr([vector])


def test_root_counts_on_each_side_of_rate_zero():
    below, above = irr._root_counts(np.array([[-100, 60, 60], [-100, 0, 110], [-100, -1, -1], [100, 0, -90]], float))
    # x = 1/(1 + m): a root below 1 is a positive rate, above 1 a negative one; no root at all
    assert below.tolist() == [1, 1, 0, 0] and above.tolist() == [0, 0, 0, 1]
    # two roots as far from rate 0 (x = 2/3 and 2: m = +-0.5; a rounding decides): left to numpy-financial
    tie = np.array([[4, -8, 3]], float)
    assert irr._root_counts(tie)[0].tolist() == [-1]
    assert irr.monthly_irr(tie) == pytest.approx(reference(tie))


def test_no_root_is_nan_and_shapes_follow_the_input():
    assert np.isnan(irr.monthly_irr([[-100, -10, -10]])).all()
    assert np.isnan(irr.monthly_irr([[0.0, 0.0, 0.0]])).all()
    out = finance.irr_annual(np.array([[[-100, 60, 60], [-100, -1, -1]]] * 3))
    assert out.shape == (3, 2) and np.isfinite(out[:, 0]).all() and np.isnan(out[:, 1]).all()


@settings(deadline=None, max_examples=200, database=None)
@given(capex=st.floats(1e3, 1e5), start=st.floats(0.5, 10.0), decline=st.floats(0.0, 0.6), u=st.floats(0.02, 1.0),
       power=st.floats(0.0, 0.5), hosting=st.one_of(st.just(0.0), st.floats(1e-6, 1.0)),
       residual=st.one_of(st.just(0.0), st.floats(1e-6, 0.6)), months=st.integers(2, 120), life=st.integers(1, 120))
def test_generated_landlord_cash_flows_give_numpy_financials_irr(capex, start, decline, u, power, hosting, residual,
                                                                  months, life):
    """Landlord-shaped flows: an outlay, monthly margins that may turn negative as prices fall (several sign changes),
    a residual value at the end of life. A hosting cost or residual share is 0 or at least 1e-6: a vanishing one
    (a margin of -730 x 5e-324 USD, a residual of 1.6e-83 USD after 45 months of zero margin) scales the companion
    matrix so badly that numpy-financial's irr raises, or returns a rate for flows with no root (every flow negative)
    or a root other than the one it reports; such flows leave it no reference to compare with."""
    path = start * (1 - decline) ** (np.arange(max(months, life)) / 12)
    assert_same_or_more_exact_irr([finance.monthly_cash_flows(capex, path, u, power, hosting, residual, life)])


@settings(deadline=None, max_examples=300, database=None)
@given(st.lists(st.one_of(st.just(0.0), st.floats(1.0, 1e4), st.floats(-1e4, -1.0)), min_size=2, max_size=60))
def test_generated_vectors_give_numpy_financials_irr(vector):
    """Any well-scaled vector, whatever its signs (entries 0 or of size 1 to 1e4: numpy-financial's companion matrix
    stays well scaled)."""
    assert_same_or_more_exact_irr([vector])


def test_a_stack_of_mixed_vectors_gives_numpy_financials_irr_row_by_row():
    rng = np.random.default_rng(7)
    rows = rng.uniform(-1e4, 1e4, (400, 30)) * (rng.random((400, 30)) > 0.2)
    rows[:200, 0] = -np.abs(rows[:200, 0]) - 1e4          # half conventional: an outlay, then inflows
    rows[:200, 1:] = np.abs(rows[:200, 1:])
    assert_same_or_more_exact_irr(rows)
