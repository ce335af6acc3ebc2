"""Bearing defect frequencies against the textbook formulas and published numbers."""

from __future__ import annotations

import math

import pytest

from generator.vibration import bearing_frequencies


def textbook(n, d, pitch, angle_deg, fr):
    """Randall & Antoni (2011), stationary outer race."""
    c = d / pitch * math.cos(math.radians(angle_deg))
    return {
        "ftf": fr / 2 * (1 - c),
        "bpfo": n / 2 * fr * (1 - c),
        "bpfi": n / 2 * fr * (1 + c),
        "bsf": pitch / (2 * d) * fr * (1 - c * c),
    }


@pytest.mark.parametrize(
    ("n", "d", "pitch", "angle", "rpm"),
    [(9, 7.94, 39.04, 0.0, 1480), (8, 17.462, 72.5, 0.0, 2920), (16, 8.407, 71.501, 15.17, 2000)],
)
def test_defect_frequencies_follow_the_textbook_formulas(n, d, pitch, angle, rpm):
    got = bearing_frequencies(n, d, pitch, angle, rpm / 60)
    want = textbook(n, d, pitch, angle, rpm / 60)
    for key, value in want.items():
        assert getattr(got, key) == pytest.approx(value, rel=1e-12)


def test_ims_rig_bearing_matches_the_published_defect_frequencies():
    # NASA IMS (Qiu et al. 2006): ZA-2115 at 2000 rpm: BPFO 236.4 Hz, BPFI 296.9 Hz,
    # BSF 139.9 Hz (ball spin, published as 2x = 279.8), FTF 14.8 Hz.
    f = bearing_frequencies(16, 0.331 * 25.4, 2.815 * 25.4, 15.17, 2000 / 60)
    assert f.bpfo == pytest.approx(236.4, abs=0.5)
    assert f.bpfi == pytest.approx(296.9, abs=0.5)
    assert 2 * f.bsf == pytest.approx(279.8, abs=0.8)
    assert f.ftf == pytest.approx(14.8, abs=0.1)


def test_outer_plus_inner_race_frequency_is_balls_times_shaft_speed():
    fr = 24.8
    f = bearing_frequencies(9, 7.94, 39.04, 0.0, fr)
    assert f.bpfo + f.bpfi == pytest.approx(9 * fr)
    assert f.bpfo == pytest.approx(9 * f.ftf)
