"""Disclosure control: threshold, rounding, LP-audited secondary suppression, consistency over periods."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lantern.errors import LanternError
from lantern.statistics.sdc import (
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    SDCRules,
    audit_suppression,
    check_additive,
    protect_array,
    required_widths,
)


def with_margins(body: np.ndarray) -> np.ndarray:
    cube = np.asarray(body, dtype=np.int64)
    for axis in range(cube.ndim):
        cube = np.concatenate([cube, cube.sum(axis=axis, keepdims=True)], axis=axis)
    return cube


def assert_safe(p, rules: SDCRules) -> None:
    shown = p.released[~np.isnan(p.released)]
    # no released cell in 1..threshold-1
    assert not ((shown > 0) & (shown < rules.threshold)).any()
    # every cell under the threshold is suppressed
    small = (p.counts > 0) & (p.counts < rules.threshold)
    assert (p.status[small] == PRIMARY).all()
    assert (shown % rules.rounding == 0).all()
    # the LP audit, recomputed independently: every suppressed cell keeps an interval >= protection
    supp = p.status != PUBLISHED
    if supp.any():
        iv = audit_suppression(p.counts, supp, p.status == PRIMARY, rules)
        width = iv[:, 1] - iv[:, 0]
        # at least the protection level, or as wide as if every cell were suppressed (the threshold
        # display alone can bound tiny cells in a tiny total; no suppression does better)
        need = required_widths(p.counts, p.status == PRIMARY, rules, np.flatnonzero(supp.ravel()))
        assert (width >= need - 1e-9).all()
        assert (need[width < rules.protection - 1e-9] < rules.protection).all()
        # and the true value lies in the attacker's interval (the LP is right about the table)
        true = p.counts.ravel()[np.flatnonzero(supp.ravel())]
        assert ((iv[:, 0] <= true + 1e-6) & (true <= iv[:, 1] + 1e-6)).all()


small_counts = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 60))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.int64, st.tuples(st.integers(1, 5), st.integers(1, 5)), elements=small_counts))
def test_two_way_tables_are_safe(body):
    rules = SDCRules()
    assert_safe(protect_array(with_margins(body), rules), rules)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.int64, st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3)), elements=small_counts))
def test_three_way_tables_with_periods_are_safe_and_consistent(body):
    rules = SDCRules(threshold=11, rounding=5, protection=5)
    p = protect_array(with_margins(body), rules, consistent_axis=0)
    assert_safe(p, rules)
    supp = p.status != PUBLISHED
    periods = supp[:-1]
    assert (periods == periods[0]).all(), "the same pattern in every period"


def test_single_small_cell_in_a_row_is_protected_by_a_second_suppression():
    body = np.array([[50, 3, 40], [60, 70, 80]])
    p = protect_array(with_margins(body))
    assert p.status[0, 1] == PRIMARY
    # row 0 and column 1 each need a second suppressed cell, else 3 = total - others
    assert (p.status[0, :] != PUBLISHED).sum() >= 2
    assert (p.status[:, 1] != PUBLISHED).sum() >= 2
    assert (p.status == SECONDARY).sum() >= 3
    assert_safe(p, SDCRules())


def test_line_rule_alone_can_leave_a_cell_recoverable_and_the_audit_catches_it():
    # Without the audit a 2x2 block of small cells can be pinned by the primary bounds [1, 10]:
    body = np.array([[1, 1, 90], [1, 1, 90], [90, 90, 90]])
    rules = SDCRules()
    cube = with_margins(body)
    loose = protect_array(cube, rules, audit=False)
    iv = audit_suppression(cube, loose.status != PUBLISHED, loose.status == PRIMARY, rules)
    assert (iv[:, 1] - iv[:, 0] < rules.protection).any()
    assert_safe(protect_array(cube, rules), rules)


def test_rounding_never_goes_below_the_threshold_and_zero_stays_zero():
    body = np.array([[0, 11, 12], [13, 100, 0]])
    p = protect_array(with_margins(body))
    assert p.released[0, 0] == 0
    assert p.released[0, 1] == 15 and p.released[0, 2] == 15 and p.released[1, 0] == 15
    assert p.display()[0, 1] == "15"


def test_display_marks_primary_and_secondary():
    p = protect_array(with_margins(np.array([[50, 3, 40], [60, 70, 80]])))
    shown = p.display()
    assert shown[0, 1] == "<11"
    assert "x" in set(shown.ravel())


def test_no_sdc_releases_exact_counts():
    cube = with_margins(np.array([[1, 2], [3, 4]]))
    p = protect_array(cube, SDCRules.none())
    assert (p.released == cube).all()


def test_non_additive_table_is_refused():
    cube = with_margins(np.array([[1, 2], [3, 4]]))
    cube[0, 2] += 1
    with pytest.raises(LanternError, match="totals"):
        check_additive(cube)


def test_rules_are_validated():
    with pytest.raises(LanternError, match="protection"):
        SDCRules(threshold=5, protection=4)
    with pytest.raises(LanternError, match="unknown disclosure-control setting"):
        SDCRules.from_dict({"treshold": 5})


def test_a_table_of_tiny_cells_is_released_fully_suppressed():
    p = protect_array(with_margins(np.ones((1, 2, 3), dtype=int)), consistent_axis=0)
    assert (p.status != PUBLISHED).all()
    assert set(p.display().ravel()) <= {"<11", "x"}
    # six cells of 1 with a total shown <11: the display alone bounds the total to 6..10
    need = required_widths(p.counts, p.status == PRIMARY, SDCRules(), np.array([p.counts.size - 1]))
    assert need[0] == 4


def test_joint_audit_agrees_with_the_single_table_audit():
    from lantern.statistics.sdc import audit_joint

    p = protect_array(with_margins(np.array([[50, 3, 40, 7], [60, 70, 2, 80], [5, 30, 30, 30]])))
    supp, prim = p.status != PUBLISHED, p.status == PRIMARY
    alone = audit_suppression(p.counts, supp, prim, SDCRules())
    (joint,) = audit_joint([(p.counts, supp, prim)], [], SDCRules())
    np.testing.assert_allclose(joint, alone)
    # the same table twice, every cell linked to its copy: reading both gives nothing more
    every = np.arange(p.counts.size)
    both = audit_joint([(p.counts, supp, prim), (p.counts, supp, prim)], [(0, 1, every, every)], SDCRules())
    np.testing.assert_allclose(both[0], alone)
    np.testing.assert_allclose(both[1], alone)


def test_highspy_and_scipy_give_the_same_audit(monkeypatch):
    p = protect_array(with_margins(np.array([[50, 3, 40, 7], [60, 70, 2, 80], [5, 30, 30, 30]])))
    supp, prim = p.status != PUBLISHED, p.status == PRIMARY
    fast = audit_suppression(p.counts, supp, prim, SDCRules())
    monkeypatch.setitem(__import__("sys").modules, "highspy", None)  # import fails: the scipy path
    slow = audit_suppression(p.counts, supp, prim, SDCRules())
    np.testing.assert_allclose(fast, slow)
