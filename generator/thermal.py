"""Ambient climate and the first-order thermal model of the motor frame.

Ambient (inside the plant) = site mean + seasonal cosine (peak around 20 May, the Indian
pre-monsoon summer) + diurnal cosine (peak 15:00 local) + weather (OU, sd 1.5 C, 2 days)
+ the indoor offset, per asset plus its room offset.

Frame temperature T follows  tau dT/dt = T_amb + dT_rated * L * c - T  with the loss
fraction L = c0 + (1 - c0) (I/I_r)^2 while running (iron/friction plus copper losses),
0 when stopped, and the cooling factor c = 1 (1 + 1.8 s for a cooling-loss fault of
severity s). The exact discretisation for a sample interval dt,
T[k+1] = T_ss[k] + (T[k] - T_ss[k]) exp(-dt / tau), is one IIR filter (scipy lfilter).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

from .grid import ou_process

SUMMER_PEAK_EPOCH = 958_780_800.0  # 2000-05-20T00:00:00Z
CORE_LOSS_FRACTION = 0.3


def site_ambient(
    rng: np.random.Generator,
    t_rel: np.ndarray,
    start_epoch: float,
    hour_local: np.ndarray,
    dt: float,
    mean_c: float,
    seasonal_amp_c: float,
    diurnal_amp_c: float,
    indoor_offset_c: float,
) -> np.ndarray:
    days = (start_epoch + t_rel - SUMMER_PEAK_EPOCH) / 86_400.0
    seasonal = seasonal_amp_c * np.cos(2 * np.pi * days / 365.2425)
    diurnal = diurnal_amp_c * np.cos(2 * np.pi * (hour_local - 15.0) / 24.0)
    weather = ou_process(rng, t_rel.shape[0], dt, tau=2 * 86_400.0, sigma=1.5)
    return mean_c + seasonal + diurnal + weather + indoor_offset_c


def loss_fraction(current_pu: np.ndarray, running: np.ndarray) -> np.ndarray:
    return np.where(running, CORE_LOSS_FRACTION + (1 - CORE_LOSS_FRACTION) * current_pu**2, 0.0)


def frame_temperature(
    ambient: np.ndarray,
    loss: np.ndarray,
    rise_rated_k: float,
    tau_s: float,
    dt: float,
    cooling_factor: np.ndarray | float = 1.0,
) -> np.ndarray:
    steady = ambient + rise_rated_k * loss * cooling_factor
    alpha = math.exp(-dt / tau_s)
    # y[k] = alpha y[k-1] + (1 - alpha) x[k-1]: delay the input by one sample
    x = np.empty_like(steady)
    x[0] = steady[0]
    x[1:] = steady[:-1]
    y, _ = lfilter([1 - alpha], [1.0, -alpha], x, zi=[alpha * steady[0]])
    return y
