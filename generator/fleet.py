"""Simulate a fleet: site grid/climate series, then every asset's signals as numpy arrays.

`simulate_site` computes what all assets share (time grid, bus voltage, grid frequency,
sags/swells/excursions, ambient). `simulate_asset` adds the asset's process load,
electrical model, thermal model and vibration features. Random streams are keyed by
(seed, asset index, purpose), so an asset's signals do not depend on how many other
assets there are, and a fault never changes the random draws of the signals it must not
touch (the healthy twin of a faulty asset is identical outside those signals).

Vibration per event (see docs/generator.md, "What is synthesised"):
* anchor mode (default, `waveform.anchor_interval_s` > sample interval): one raw window is
  synthesised per asset per anchor (default hourly) at the asset's reference running
  condition and the fault state of that instant; event features are interpolated in time
  between anchors, scaled by the event's load and jittered (log-normal 3 % RMS, 5 % peak,
  2 % kurtosis); stopped samples use background windows.
* exact mode (`anchor_interval_s` 0, or <= the sample interval): one raw window per event,
  synthesised at that event's own speed, supply frequency, load and fault state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pdm_project.contract import SIGNAL_FIELDS

from .faults import VIBRATION_DEFECTS, VibrationProfile, life_fraction, vibration_profile, window_params
from .grid import (
    GRID_FREQ,
    GRID_SAG,
    GRID_SWELL,
    GridEvent,
    bus_voltage_raw,
    event_mask,
    frequency_series,
    grid_events,
)
from .laws import REFERENCE_LAW, Law
from .load import load_profile, local_clock
from .scenario import KEY_FLEET, AssetSpec, FaultSpec, Fleet, stream_rng
from .streams import (
    F_AMBIENT,
    F_BUS,
    F_EVENTS,
    F_FREQ,
    S_FAULT,
    S_IDLE,
    S_IDS,
    S_JITTER,
    S_LOAD,
    S_PHYSICS,
    S_VIB,
)
from .thermal import site_ambient
from .truth import AssetTruth, asset_truth
from .vibration import band_features, bearing_frequencies, synthesize, waveform_features

STREAM_EVENT_IDS = S_IDS

SYNTH_BLOCK = 256  # windows per synthesis block (memory ~ block * n * 4 B per array)
BACKGROUND_WINDOWS = 8
EDGE_S = 0.5  # anchor mode: a law's jump is held between windows this far either side of it


@dataclass(frozen=True, slots=True)
class AssetPhysics:
    vibration: VibrationProfile
    shift_offset_min: float
    load_factor: float
    feeder_drop: float
    tap_bias: float
    rise_rated_k: float
    tau_s: float
    room_offset_c: float
    start_s: float

    def reference_load(self, asset: AssetSpec) -> float:
        return float(np.mean(asset.shift_loads)) * self.load_factor


def window_samples(fleet: Fleet) -> tuple[float, int]:
    ws = fleet.scenario.waveform
    return float(ws.sample_rate_hz), round(ws.sample_rate_hz * ws.window_s)


def asset_physics(fleet: Fleet, asset: AssetSpec) -> AssetPhysics:
    fs, n = window_samples(fleet)
    rng = stream_rng(fleet.seed, asset.index, S_PHYSICS)
    vib = vibration_profile(asset, rng, fs, n)
    power = asset.rated_power_kw
    return AssetPhysics(
        vibration=vib,
        shift_offset_min=float(rng.uniform(-10, 10)),
        load_factor=float(rng.uniform(0.85, 1.05)),
        feeder_drop=float(rng.uniform(0.005, 0.02)),
        tap_bias=float(rng.uniform(-0.01, 0.01)),
        rise_rated_k=float(rng.uniform(30.0, 42.0)),
        tau_s=60.0 * float(np.clip(20.0 * (power / 5.0) ** 0.3, 8.0, 90.0)) * float(rng.uniform(0.9, 1.1)),
        room_offset_c=float(rng.uniform(0.0, 4.0)),
        start_s=float(rng.uniform(2.0, 6.0)),
    )


@dataclass
class SiteSeries:
    t_rel: np.ndarray  # seconds from the start, (T,)
    start_epoch: float
    dt: float
    hour_local: np.ndarray
    bus_raw: np.ndarray
    freq: np.ndarray
    voltage_factor: np.ndarray  # sag/swell per-unit factor
    grid_bits: np.ndarray  # int8: GRID_SAG | GRID_SWELL | GRID_FREQ
    ambient: np.ndarray
    events: list[GridEvent]


def simulate_site(fleet: Fleet) -> SiteSeries:
    sc = fleet.scenario
    dt = float(fleet.interval_s)
    t_rel = np.arange(fleet.n_steps, dtype=np.float64) * dt
    start_epoch = fleet.start.timestamp()
    site = sc.site
    events = grid_events(
        stream_rng(fleet.seed, KEY_FLEET, F_EVENTS),
        fleet.duration_s,
        site.sag_rate_per_week,
        site.swell_rate_per_week,
        site.freq_excursion_rate_per_week,
    )
    hour, _ = local_clock(t_rel, start_epoch, site.utc_offset_h)
    _, prod_day = local_clock(t_rel - sc.schedule.shift_starts_h[0] * 3600.0, start_epoch, site.utc_offset_h)
    bus = bus_voltage_raw(stream_rng(fleet.seed, KEY_FLEET, F_BUS), hour, prod_day, dt)
    freq, fmask = frequency_series(stream_rng(fleet.seed, KEY_FLEET, F_FREQ), t_rel, dt, events)
    sag, sag_mag = event_mask(t_rel, events, "sag")
    swell, swell_mag = event_mask(t_rel, events, "swell")
    vfactor = np.where(sag, sag_mag, 1.0) * np.where(swell, swell_mag, 1.0)
    bits = (sag * GRID_SAG) | (swell * GRID_SWELL) | (fmask * GRID_FREQ)
    ambient = site_ambient(
        stream_rng(fleet.seed, KEY_FLEET, F_AMBIENT),
        t_rel,
        start_epoch,
        hour,
        dt,
        site.ambient_mean_c,
        site.seasonal_amplitude_c,
        site.diurnal_amplitude_c,
        site.indoor_offset_c,
    )
    return SiteSeries(
        t_rel=t_rel,
        start_epoch=start_epoch,
        dt=dt,
        hour_local=hour,
        bus_raw=bus,
        freq=freq,
        voltage_factor=vfactor,
        grid_bits=bits.astype(np.int8),
        ambient=ambient,
        events=events,
    )


@dataclass(frozen=True, slots=True)
class FaultTiming:
    mode: str
    onset_s: float
    failure_s: float  # effective: moved to the next running sample if the machine was stopped
    degrading_s: float
    end_s: float  # events stop (machine tripped) at this time, exclusive
    law: Law = REFERENCE_LAW
    extra_loss_pct: float = 0.0


STEADY_RUN_S = 7200.0


def fault_timing(fleet: Fleet, fault: FaultSpec, running: np.ndarray, load: np.ndarray) -> FaultTiming:
    """Failures happen under load: a planned failure time that falls while the machine is
    stopped, idling or just restarted moves to the next sample after 2 h of running at
    >= 30 % load (or the next running sample if there is none)."""
    dt = float(fleet.interval_s)
    k = math.ceil(fault.failure_s / dt - 1e-9)
    failure = fault.failure_s
    n = running.shape[0]
    if 0 <= k < n:
        idx = np.arange(n)
        last_off = np.maximum.accumulate(np.where(running, -1, idx))
        run_len = idx - last_off  # consecutive running samples up to and including k
        steady = running & (load >= 0.3) & (run_len * dt >= min(STEADY_RUN_S, k * dt))
        if not steady[k]:
            nxt = np.flatnonzero(steady[k:])
            if not nxt.size:
                nxt = np.flatnonzero(running[k:])
            if nxt.size:
                failure = (k + int(nxt[0])) * dt
    deg = fleet.scenario.degradation
    degrading = fault.onset_s + deg.incipient_fraction * (failure - fault.onset_s)
    return FaultTiming(
        fault.mode,
        fault.onset_s,
        failure,
        degrading,
        failure + deg.post_failure_s,
        fault.law,
        fault.extra_loss_pct,
    )


@dataclass
class AssetSchedule:
    physics: AssetPhysics
    load: np.ndarray
    running: np.ndarray
    startup: np.ndarray
    timing: FaultTiming | None


def asset_schedule(fleet: Fleet, asset: AssetSpec, site: SiteSeries) -> AssetSchedule:
    phys = asset_physics(fleet, asset)
    load, running, startup = load_profile(
        asset,
        fleet.scenario.schedule,
        site.t_rel,
        site.start_epoch,
        fleet.scenario.site.utc_offset_h,
        site.dt,
        stream_rng(fleet.seed, asset.index, S_LOAD),
        phys.shift_offset_min,
        phys.load_factor,
        stream_rng(fleet.seed, asset.index, S_IDLE),
    )
    fault = fleet.faults.get(asset.index)
    timing = fault_timing(fleet, fault, running, load) if fault is not None else None
    return AssetSchedule(phys, load, running, startup, timing)


SIGNALS = SIGNAL_FIELDS  # every reading of the event contract, in its order
# the waveform features of one window, in the order `synthesize_features` returns them
WAVEFORM_FEATURES = (
    "vibration_rms_mm_s",
    "vibration_peak_g",
    "vibration_kurtosis",
    "vibration_1x_mm_s",
    "vibration_2x_mm_s",
    "envelope_bpfo_g",
    "envelope_bpfi_g",
)


@dataclass
class AssetSeries:
    asset: AssetSpec
    timing: FaultTiming | None
    signals: dict[str, np.ndarray]  # SIGNALS -> (T,)
    phase: np.ndarray  # int8 phase codes
    emit: np.ndarray  # bool: sample is emitted (False after the trip)
    running: np.ndarray
    load: np.ndarray  # process load, fraction of rated output
    severity: np.ndarray
    truth: AssetTruth  # noise-free state, input power and that of the healthy twin


def simulate_asset(
    fleet: Fleet, asset: AssetSpec, site: SiteSeries, schedule: AssetSchedule | None = None
) -> AssetSeries:
    sch = schedule or asset_schedule(fleet, asset, site)
    tr = asset_truth(fleet, asset, site, sch)
    running, noise = sch.running, tr.noise
    vib = vibration_series(
        fleet, asset, sch.physics, site, tr.life, sch.timing, sch.load, running, tr.rpm, tr.frequency_hz
    )
    signals = {
        "voltage_v": tr.voltage_v,
        "current_a": tr.current_a * (1.0 + noise["current"]),
        "power_factor": np.where(running, np.clip(tr.power_factor + noise["pf"], 0.0, 1.0), 0.0),
        "frequency_hz": tr.frequency_hz,
        "temperature_c": tr.temperature_c + noise["temperature"],
        "rpm": np.where(running, tr.rpm + noise["rpm"], 0.0),
        "ambient_temperature_c": tr.ambient_c,
        **vib,
    }
    return AssetSeries(asset, sch.timing, signals, tr.phase, tr.emit, running, sch.load, tr.severity, tr)


def _amplitude_factor(load: np.ndarray, ref_load: float) -> np.ndarray:
    return (0.8 + 0.2 * load) / (0.8 + 0.2 * ref_load)


def synthesize_features(
    params_list, structure, fs: float, n: int, rng_noise, rng_fault, bearing_per_hz, read_shaft_hz=None
) -> tuple[np.ndarray, ...]:
    """`WAVEFORM_FEATURES` of all windows described by `params_list`, synthesised block by block.

    `bearing_per_hz`: the asset's bearing frequencies per Hz of shaft speed; the band values
    are read at the orders of `read_shaft_hz` (default: each window's own shaft speed; a
    stopped machine's background windows are read at the running speed, as a sensor
    configured for the machine would).
    """
    w = params_list.n_windows
    speed = params_list.shaft_hz if read_shaft_hz is None else np.broadcast_to(read_shaft_hz, (w,))
    out = tuple(np.empty(w) for _ in WAVEFORM_FEATURES)
    for lo in range(0, w, SYNTH_BLOCK):
        sel = slice(lo, min(w, lo + SYNTH_BLOCK))
        x = synthesize(params_list.take(sel), structure, fs, n, rng_noise, rng_fault)
        fr = speed[sel]
        values = waveform_features(x, fs) + band_features(
            x, fs, fr, bearing_per_hz.bpfo * fr, bearing_per_hz.bpfi * fr
        )
        for dst, v in zip(out, values, strict=True):
            dst[sel] = v
    return out


def vibration_series(
    fleet: Fleet,
    asset: AssetSpec,
    phys: AssetPhysics,
    site: SiteSeries,
    life: np.ndarray,
    timing: FaultTiming | None,
    load: np.ndarray,
    running: np.ndarray,
    rpm: np.ndarray,
    freq: np.ndarray,
) -> dict[str, np.ndarray]:
    """The `WAVEFORM_FEATURES` series of one asset (see the module docstring)."""
    fs, n = window_samples(fleet)
    mode = timing.mode if timing is not None else None
    law = timing.law if timing is not None else Law.reference()
    vib_mode = mode if mode in VIBRATION_DEFECTS else None
    prof = phys.vibration
    rng_noise = stream_rng(fleet.seed, asset.index, S_VIB)
    rng_fault = stream_rng(fleet.seed, asset.index, S_FAULT)
    ref_load = phys.reference_load(asset)
    gfac = _amplitude_factor(load, ref_load)
    anchor = fleet.scenario.waveform.anchor_interval_s
    t = site.t_rel
    b = asset.bearing
    per_hz = bearing_frequencies(b.n_balls, b.ball_diameter_mm, b.pitch_diameter_mm, b.contact_angle_deg, 1.0)
    if anchor <= 0 or anchor <= site.dt:
        params = window_params(asset, prof, vib_mode, life, law, rpm / 60.0, freq, gfac, running)
        values = synthesize_features(params, prof.structure, fs, n, rng_noise, rng_fault, per_hz)
        return dict(zip(WAVEFORM_FEATURES, values, strict=True))

    p = asset.pole_pairs
    sync = 3000.0 / p
    slip_r = max(0.002, (sync - asset.rated_rpm) / sync)
    shaft_ref = sync * (1.0 - slip_r * ref_load) / 60.0

    def reference_windows(times: np.ndarray) -> tuple[np.ndarray, ...]:
        """Features of windows at the reference running condition and the fault state of `times`."""
        w = times.shape[0]
        life_a = (
            np.full(w, -1.0) if timing is None else life_fraction(times, timing.onset_s, timing.failure_s)
        )
        ones = np.ones(w)
        params = window_params(
            asset, prof, vib_mode, life_a, law, shaft_ref * ones, 50.0 * ones, ones, np.ones(w, dtype=bool)
        )
        return synthesize_features(params, prof.structure, fs, n, rng_noise, rng_fault, per_hz)

    tau = np.arange(math.ceil(fleet.duration_s / anchor) + 1) * anchor
    a_vals = reference_windows(tau)
    nb = BACKGROUND_WINDOWS
    bg = window_params(
        asset, prof, None, np.full(nb, -1.0), law, np.zeros(nb), np.full(nb, 50.0), np.zeros(nb),
        np.zeros(nb, dtype=bool),
    )  # fmt: skip
    b_vals = synthesize_features(bg, prof.structure, fs, n, rng_noise, rng_fault, per_hz, shaft_ref)
    if vib_mode is not None and timing is not None:
        # the law's jumps (a step, burst edges) get a window on each side, synthesised after the
        # others (so that the draws of those do not change), so interpolation keeps them sharp
        edges = timing.onset_s + np.asarray(law.breakpoints()) * (timing.failure_s - timing.onset_s)
        edges = edges[(edges > EDGE_S) & (edges < fleet.duration_s)]
        if edges.size:
            extra_t = np.concatenate([edges - EDGE_S, edges + EDGE_S])
            extra = reference_windows(extra_t)
            order = np.argsort(np.concatenate([tau, extra_t]), kind="stable")
            tau = np.concatenate([tau, extra_t])[order]
            a_vals = tuple(np.concatenate([a, e])[order] for a, e in zip(a_vals, extra, strict=True))

    rng_j = stream_rng(fleet.seed, asset.index, S_JITTER)
    m = t.shape[0]
    j_rms = np.exp(0.03 * rng_j.standard_normal(m))
    j_peak = np.exp(0.05 * rng_j.standard_normal(m))
    j_kurt = np.exp(0.02 * rng_j.standard_normal(m))
    pick = rng_j.integers(0, nb, m)
    # drawn after the original three so that adding these series changed none of them
    j_band = np.exp(0.05 * rng_j.standard_normal((4, m)))
    out: dict[str, np.ndarray] = {}
    for k, name in enumerate(WAVEFORM_FEATURES):
        scaled = name != "vibration_kurtosis"  # amplitudes scale with load; kurtosis does not
        a = np.interp(t, tau, a_vals[k])
        jitter = (j_rms, j_peak, j_kurt)[k] if k < 3 else j_band[k - 3]
        out[name] = np.where(running, a * gfac if scaled else a, b_vals[k][pick]) * jitter
    return out


def acceleration_window(
    fleet: Fleet,
    asset_index: int,
    *,
    mode: str | None = None,
    life: float = 0.0,
    load: float | None = None,
    shaft_hz: float | None = None,
    line_hz: float = 50.0,
    n_windows: int = 1,
    seed: int = 0,
    sample_rate_hz: float | None = None,
    window_s: float | None = None,
    law: Law | None = None,
) -> tuple[float, np.ndarray]:
    """Raw acceleration windows (g), shape (n_windows, n), of one asset in a given state.

    `mode` is a failure mode, or "bearing_ball" / "bearing_cage" (rolling-element and cage
    defects, available here for analysis though not as fleet failure modes), None for
    healthy; `life` is the normalised fault life (0 onset, 1 failure) and `law` its degradation law
    (default the reference exponential, rate 5). Load defaults to the asset's reference load and
    shaft speed to the slip-law speed at that load. Returns (sample rate Hz, windows).
    """
    asset = fleet.assets[asset_index]
    phys = asset_physics(fleet, asset)
    fs0, n0 = window_samples(fleet)
    fs = float(sample_rate_hz or fs0)
    n = round(fs * window_s) if window_s else round(fs * n0 / fs0)
    ref = phys.reference_load(asset)
    x_load = ref if load is None else load
    if shaft_hz is None:
        sync = 3000.0 / asset.pole_pairs
        slip_r = max(0.002, (sync - asset.rated_rpm) / sync)
        shaft_hz = sync * (1.0 - slip_r * x_load) / 60.0
    vib_mode = mode if mode in VIBRATION_DEFECTS else None
    w = n_windows
    params = window_params(
        asset,
        phys.vibration,
        vib_mode,
        np.full(w, float(life) if mode else -1.0),
        law or Law.reference(),
        np.full(w, float(shaft_hz)),
        np.full(w, float(line_hz)),
        _amplitude_factor(np.full(w, x_load), ref),
        np.ones(w, dtype=bool),
    )
    rng_noise = stream_rng(seed, asset.index, S_VIB)
    rng_fault = stream_rng(seed, asset.index, S_FAULT)
    return fs, synthesize(params, phys.vibration.structure, fs, n, rng_noise, rng_fault)
