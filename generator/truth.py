"""The noise-free electrical and thermal state of one asset, and of its healthy twin.

Everything here is cheap (no waveform synthesis), so the labels (threshold crossings, extra energy,
idle periods) are computed from it before the events are written, and the events add their sensor
noise and vibration to the same arrays. The healthy twin is the same machine at the same process load
and supply without the fault: what the labelled extra energy and the temperature-rise excess are
measured against (docs/generator.md, "Energy" and "Labels").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .energy import HEAT_SHARE, MECHANICAL_LOSS_MODES, EnergyTruth, idle_mask, power_kw, rated_losses_pu
from .faults import ELECTRICAL_REACTIVE_PU, ELECTRICAL_VOLTAGE_DROP, OVERHEAT_GAIN, phase_codes
from .faults import life_fraction as _life_fraction
from .grid import GRID_FREQ, VOLTAGE_SOFT_LIMIT, soft_limit
from .laws import Law
from .load import motor_electrical, shaft_speed_rpm
from .scenario import AssetSpec, Fleet, stream_rng
from .streams import S_AMB, S_ELEC, S_THERM, S_VOLT
from .thermal import CORE_LOSS_FRACTION, frame_temperature, loss_fraction

if TYPE_CHECKING:
    from .fleet import AssetSchedule, SiteSeries


@dataclass
class AssetTruth:
    life: np.ndarray  # normalised fault life u (-1 when healthy)
    severity: np.ndarray
    phase: np.ndarray  # int8 phase codes
    emit: np.ndarray  # bool: sample is emitted (False after the trip)
    voltage_v: np.ndarray
    current_a: np.ndarray  # noise-free
    power_factor: np.ndarray  # noise-free
    rpm: np.ndarray  # noise-free shaft speed
    frequency_hz: np.ndarray
    ambient_c: np.ndarray
    temperature_c: np.ndarray  # noise-free frame temperature
    healthy_temperature_c: np.ndarray  # the same without the fault
    energy: EnergyTruth
    noise: dict[str, np.ndarray]  # sensor noise the events add (current, pf, rpm, temperature)


def _fault_state(fleet: Fleet, schedule: AssetSchedule, t: np.ndarray) -> tuple:
    timing = schedule.timing
    n = t.shape[0]
    if timing is None:
        return None, np.full(n, -1.0), np.zeros(n), np.zeros(n, dtype=np.int8), np.ones(n, dtype=bool)
    life = _life_fraction(t, timing.onset_s, timing.failure_s)
    law: Law = timing.law
    phase = phase_codes(life, fleet.scenario.degradation.incipient_fraction)
    return timing.mode, life, law.severity(life), phase, t < timing.end_s


def asset_truth(fleet: Fleet, asset: AssetSpec, site: SiteSeries, schedule: AssetSchedule) -> AssetTruth:
    """Supply, electrical model (with the fault's extra currents), speed and frame temperature."""
    phys, load, running, startup = schedule.physics, schedule.load, schedule.running, schedule.startup
    t = site.t_rel
    n: int = t.shape[0]
    mode, life, sev, phase, emit = _fault_state(fleet, schedule, t)
    s_elec = sev if mode == "electrical" else 0.0
    s_heat = sev if mode == "overheating" else 0.0
    loss_pct = schedule.timing.extra_loss_pct if schedule.timing is not None else 0.0
    loss_r = rated_losses_pu(asset.efficiency)

    rng_v = stream_rng(fleet.seed, asset.index, S_VOLT)
    raw = site.bus_raw + phys.tap_bias - phys.feeder_drop * load + rng_v.normal(0.0, 0.0015, n)
    v_healthy = (1.0 + soft_limit(raw, VOLTAGE_SOFT_LIMIT)) * site.voltage_factor
    v_pu = v_healthy * (1.0 - ELECTRICAL_VOLTAGE_DROP * s_elec)

    start_fraction = min(1.0, phys.start_s / site.dt)
    if mode is not None:
        cur_h, pf_h = motor_electrical(asset, load, v_healthy, running, startup, start_fraction)
    # mechanical losses: extra shaft power (per unit of rated output) while running
    mech = sev * (loss_pct / 100.0) * running if mode in MECHANICAL_LOSS_MODES else 0.0
    extra_q = ELECTRICAL_REACTIVE_PU * s_elec * running
    extra_p = 0.0
    own = 0.0
    if mode == "electrical":
        cur0, _ = motor_electrical(asset, load, v_pu, running, startup, start_fraction, extra_q)
        own = sev * (loss_pct / 100.0) * running  # the fault's own dissipation, per unit of rated output
        i_f, i_h = cur0 / asset.rated_current_a, cur_h / asset.rated_current_a
        copper = (1.0 - CORE_LOSS_FRACTION) * loss_r * (i_f * i_f - i_h * i_h)  # of the extra current
        extra_p = (copper + own) * running * asset.rated_pf * asset.efficiency  # per unit of S_r
    x_eff = load + mech
    current, pf = motor_electrical(asset, x_eff, v_pu, running, startup, start_fraction, extra_q, extra_p)
    if mode is None:
        cur_h, pf_h = current, pf

    rng_e = stream_rng(fleet.seed, asset.index, S_ELEC)
    noise: dict[str, np.ndarray] = {
        "current": rng_e.normal(0.0, 0.005, n),
        "pf": rng_e.normal(0.0, 0.003, n),
        "rpm": rng_e.normal(0.0, 0.3, n),
    }
    f_noise = rng_e.normal(0.0, 0.0004, n)
    freq = np.where(site.grid_bits & GRID_FREQ, site.freq, np.clip(site.freq + f_noise, 49.901, 50.049))
    rpm = shaft_speed_rpm(asset, x_eff, v_pu, freq, running)

    rng_a = stream_rng(fleet.seed, asset.index, S_AMB)
    ambient = site.ambient + phys.room_offset_c + rng_a.normal(0.0, 0.1, n)
    heat = HEAT_SHARE.get(mode or "", 0.0) * (mech + own) / loss_r * running  # extra loss / rated losses
    temp = frame_temperature(
        ambient,
        loss_fraction(current / asset.rated_current_a, running) + heat,
        phys.rise_rated_k,
        phys.tau_s,
        site.dt,
        1.0 + OVERHEAT_GAIN * s_heat,
    )
    if mode is None:
        temp_h = temp
    else:
        temp_h = frame_temperature(
            ambient,
            loss_fraction(cur_h / asset.rated_current_a, running),
            phys.rise_rated_k,
            phys.tau_s,
            site.dt,
        )
    noise["temperature"] = stream_rng(fleet.seed, asset.index, S_THERM).normal(0.0, 0.15, n)

    voltage = asset.rated_voltage_v * v_pu
    p_kw = power_kw(asset.phase, voltage, current, pf)
    p_h = p_kw if mode is None else power_kw(asset.phase, asset.rated_voltage_v * v_healthy, cur_h, pf_h)
    idle = idle_mask(p_kw, running, asset.rated_power_kw, fleet.scenario.energy.idle_load_factor) & emit
    return AssetTruth(
        life=life,
        severity=sev,
        phase=phase,
        emit=emit,
        voltage_v=voltage,
        current_a=current,
        power_factor=pf,
        rpm=rpm,
        frequency_hz=freq,
        ambient_c=ambient,
        temperature_c=temp,
        healthy_temperature_c=temp_h,
        energy=EnergyTruth(power_kw=p_kw, healthy_power_kw=p_h, idle=idle),
        noise=noise,
    )
