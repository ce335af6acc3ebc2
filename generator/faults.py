"""Failure modes: progression in time and what each does to the signals.

Progression (all modes). With normalised life u = (t - onset) / (failure - onset), the fault's
severity s(u) follows its degradation law (`laws.py`: exponential, power law, logistic,
linear-then-accelerating, step then ramp, intermittent bursts), 0 before onset and 1 at failure.
Phases: healthy (t < onset), incipient (u < incipient_fraction, default 0.5), degrading, failed
(t >= failure). Every channel a mode touches follows the same s(u).

What each mode touches (everything else is left exactly as the healthy twin):
* bearing_outer / bearing_inner: impulse trains at BPFO / BPFI (inner race modulated at
  1x) ringing the resonance; their amplitude steps up as the defect initiates (`Law.initiation`:
  kurtosis and envelope-spectrum peaks appear while RMS is still flat) and then grows with s;
  in-band velocity grows with s (broadband wear + lines at the defect frequency and harmonics) so
  the RMS reaches zone D at failure; the noise floor grows 1 + 2 s.
* imbalance: the 1x component grows (added in quadrature) to zone D at failure.
* misalignment: 2x grows (with 1x at 0.35 and 3x at 0.25 of its growth) to zone D.
* overheating (cooling loss): the frame thermal rise is multiplied by 1 + 1.8 s.
* electrical (supply unbalance/sag at the terminals and insulation degradation):
  terminal voltage x (1 - 0.08 s), extra reactive current 0.35 s (per unit of rated),
  so current rises and PF falls; temperature follows the higher current.
* the losses the lossy modes add to the input power (and their heat): `energy.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .laws import Law
from .scenario import AssetSpec
from .vibration import (
    DEFECT_BALL,
    DEFECT_CAGE,
    DEFECT_INNER,
    DEFECT_NONE,
    DEFECT_OUTER,
    G_MM_S2,
    Structure,
    WindowParams,
    bearing_frequencies,
    spectral,
)

# bearing defects the waveform model knows; the fleet's failure modes use the first two,
# acceleration_window() accepts all four
BEARING_DEFECTS = ("bearing_outer", "bearing_inner", "bearing_ball", "bearing_cage")
VIBRATION_DEFECTS = (*BEARING_DEFECTS, "imbalance", "misalignment")
PHASE_HEALTHY, PHASE_INCIPIENT, PHASE_DEGRADING, PHASE_FAILED = 0, 1, 2, 3
OVERHEAT_GAIN = 1.8
ELECTRICAL_VOLTAGE_DROP = 0.08
ELECTRICAL_REACTIVE_PU = 0.35


def life_fraction(t_rel: np.ndarray, onset_s: float, failure_s: float) -> np.ndarray:
    """u: < 0 before onset, 0 at onset, 1 at failure."""
    return (np.asarray(t_rel, dtype=np.float64) - onset_s) / (failure_s - onset_s)


def design_rms(profile: VibrationProfile, s: float) -> float:
    """Design in-band velocity RMS (mm/s) at severity s and the reference running condition:
    the fault's amplitudes are solved so that its mean square adds to the healthy machine's,
    sqrt(healthy^2 + s^2 (fail^2 - healthy^2)) (the synthesised windows' mean RMS is within
    ~2 % of it)."""
    h, f = profile.healthy_rms, profile.fail_rms
    return math.sqrt(h * h + s * s * (f * f - h * h))


def threshold_life(profile: VibrationProfile, boundary_mm_s: float, law: Law) -> float | None:
    """First life fraction u at which the design RMS (``design_rms``) reaches ``boundary_mm_s``,
    e.g. the C/D boundary, the end of useful life for the platform's RUL (docs/generator.md). None
    when the design RMS never reaches it from below (healthy level already at or above it, or the
    failure RMS below it)."""
    h, f = profile.healthy_rms, profile.fail_rms
    if not h < boundary_mm_s <= f:
        return None
    return law.first_crossing(math.sqrt((boundary_mm_s**2 - h * h) / (f * f - h * h)))


def phase_codes(u: np.ndarray, incipient_fraction: float) -> np.ndarray:
    u = np.asarray(u)
    return np.select(
        [u < 0, u < incipient_fraction, u < 1.0],
        [PHASE_HEALTHY, PHASE_INCIPIENT, PHASE_DEGRADING],
        PHASE_FAILED,
    ).astype(np.int8)


@dataclass(frozen=True, slots=True)
class VibrationProfile:
    """Per-asset vibration constants at the reference (typical running) condition."""

    structure: Structure
    vel_1x: float  # velocity peak amplitudes, mm/s
    vel_2x: float
    vel_3x: float
    vel_2line: float
    vel_broadband: float  # in-band velocity RMS of the broadband part, mm/s
    accel_ref_g: float  # expected acceleration RMS of the healthy machine, g
    healthy_rms: float  # design in-band velocity RMS of the healthy machine, mm/s
    fail_rms: float  # design in-band velocity RMS at failure, mm/s
    imbalance_1x: float  # 1x amplitude added (quadrature) at s = 1
    misalignment_2x: float
    bearing_broadband: float
    bearing_lines: float
    impact_incipient: float  # impulse peak at the end of the impact ramp, in units of accel_ref_g
    impact_late: float  # extra impulse peak at s = 1, in units of accel_ref_g


def vibration_profile(asset: AssetSpec, rng: np.random.Generator, fs: float, n: int) -> VibrationProfile:
    _, bc, cd = asset.zones
    noise_g = rng.uniform(0.015, 0.04) * (1.3 if asset.asset_type == "pump" else 1.0)
    structure = Structure(
        resonance_hz=round(float(rng.uniform(2400.0, 4200.0)), 1),
        damping=round(float(rng.uniform(0.03, 0.06)), 4),
        noise_g=round(float(noise_g), 5),
    )
    healthy = float(rng.uniform(0.30, 0.55)) * bc
    noise_ms = spectral(structure, fs, n).expected_noise_band_velocity_ms2()
    r2 = max(healthy * healthy - noise_ms, 0.25 * healthy * healthy)
    e1 = float(rng.uniform(0.45, 0.65))
    e2 = float(rng.uniform(0.10, 0.20))
    e3, eel = 0.04, 0.03
    fail = float(rng.uniform(1.3, 1.5)) * cd
    need = fail * fail - healthy * healthy
    v1, v2, v3, vel = (math.sqrt(2 * e * r2) for e in (e1, e2, e3, eel))
    vbb = math.sqrt(r2 * (1 - e1 - e2 - e3 - eel))
    fr = asset.rated_rpm / 60.0
    sines = sum(
        (2 * math.pi * f * v / G_MM_S2) ** 2 / 2
        for f, v in ((fr, v1), (2 * fr, v2), (3 * fr, v3), (100.0, vel))
    )
    accel_ref = math.sqrt(spectral(structure, fs, n).expected_accel_ms2(1.0, vbb) + sines)
    return VibrationProfile(
        structure=structure,
        vel_1x=v1,
        vel_2x=v2,
        vel_3x=v3,
        vel_2line=vel,
        vel_broadband=vbb,
        accel_ref_g=accel_ref,
        healthy_rms=healthy,
        fail_rms=fail,
        imbalance_1x=math.sqrt(2 * need),
        misalignment_2x=math.sqrt(2 * need / (1 + 0.35**2 + 0.25**2)),
        bearing_broadband=math.sqrt(0.5 * need),
        bearing_lines=math.sqrt(need / (1 + 0.7**2 + 0.5**2)),
        impact_incipient=float(rng.uniform(6.0, 8.0)),
        impact_late=float(rng.uniform(20.0, 26.0)),
    )


def window_params(
    asset: AssetSpec,
    profile: VibrationProfile,
    mode: str | None,
    life: np.ndarray,
    law: Law,
    shaft_hz: np.ndarray,
    line_hz: np.ndarray,
    amplitude_factor: np.ndarray,
    running: np.ndarray,
) -> WindowParams:
    """Inputs of `vibration.synthesize` for windows in the given states (arrays (W,))."""
    w = shaft_hz.shape[0]
    g = np.where(running, amplitude_factor, 0.0)
    s = law.severity(life) if mode is not None else np.zeros(w)
    v1 = np.full(w, profile.vel_1x)
    v2 = np.full(w, profile.vel_2x)
    v3 = np.full(w, profile.vel_3x)
    vbb = np.full(w, profile.vel_broadband)
    noise = np.ones(w)
    impact = np.zeros(w)
    defect_vel = np.zeros(w)
    defect_hz = np.ones(w)
    mod_hz = np.zeros(w)
    kind = DEFECT_NONE
    if mode == "imbalance":
        v1 = np.hypot(v1, s * profile.imbalance_1x)
    elif mode == "misalignment":
        a = s * profile.misalignment_2x
        v2 = np.hypot(v2, a)
        v1 = np.hypot(v1, 0.35 * a)
        v3 = np.hypot(v3, 0.25 * a)
    elif mode in BEARING_DEFECTS:
        b = asset.bearing
        freqs = bearing_frequencies(
            b.n_balls, b.ball_diameter_mm, b.pitch_diameter_mm, b.contact_angle_deg, 1.0
        )  # per Hz of shaft speed
        if mode == "bearing_outer":  # stationary defect: impacts at BPFO, no modulation
            kind, order = DEFECT_OUTER, freqs.bpfo
        elif mode == "bearing_inner":  # defect rotates through the load zone at 1x
            kind, order = DEFECT_INNER, freqs.bpfi
            mod_hz = np.where(running, shaft_hz, 0.0)
        elif mode == "bearing_ball":  # a ball spall hits both races: 2 x BSF, carried at FTF
            kind, order = DEFECT_BALL, 2 * freqs.bsf
            mod_hz = np.where(running, freqs.ftf * shaft_hz, 0.0)
        else:  # bearing_cage: a damaged cage knocks once per cage revolution
            kind, order = DEFECT_CAGE, freqs.ftf
        defect_hz = np.where(running & (shaft_hz > 0), order * shaft_hz, 1.0)
        active = (np.asarray(life) >= 0) & running
        impact = np.where(
            active,
            profile.accel_ref_g * (profile.impact_incipient * law.initiation(life) + profile.impact_late * s),
            0.0,
        )
        vbb = np.hypot(vbb, s * profile.bearing_broadband)
        defect_vel = np.where(active, s * profile.bearing_lines, 0.0)
        noise = 1.0 + 2.0 * s
    stopped = ~running
    noise = np.where(stopped, 0.3, noise)  # background from neighbouring machines
    vbb = np.where(stopped, 0.08, vbb * g)
    return WindowParams(
        shaft_hz=np.where(running, shaft_hz, 0.0),
        line_hz=np.asarray(line_hz, dtype=np.float64),
        vel_1x=v1 * g,
        vel_2x=v2 * g,
        vel_3x=v3 * g,
        vel_2line=np.where(running, profile.vel_2line, 0.0),
        vel_broadband=vbb,
        noise_scale=noise,
        impact_g=impact * g,
        defect_hz=defect_hz,
        defect_vel=defect_vel * g,
        mod_hz=mod_hz,
        defect_kind=kind,
    )
