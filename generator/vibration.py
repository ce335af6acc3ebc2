"""Raw acceleration windows, the features derived from them, and bearing kinematics.

A window (W windows at once, float32, shape (W, n), unit g) is the sum of

* shaft components at 1x, 2x, 3x running speed and the 2x-line-frequency magnetic
  component (time-domain sinusoids; amplitudes given as velocity peak, mm/s);
* broadband vibration: a complex Gaussian spectrum whose acceleration part is white with
  a hump at the structural resonance, plus a low-frequency velocity part (flat velocity
  10-100 Hz, flat acceleration above) that carries most of the in-band velocity;
* bearing defect impulse trains (outer race at BPFO, inner race at BPFI amplitude-
  modulated by the shaft rotation, rolling element at 2xBSF modulated by the cage at FTF,
  cage at FTF) with slip jitter, each impulse ringing the structural resonance (a
  damped single-degree-of-freedom response applied in the frequency domain), plus the
  low-frequency lines a developed defect adds at the defect frequency and harmonics.

From each window `waveform_features` derives the three event values: velocity RMS in
10-1000 Hz (Hann-windowed spectrum, divided by j*2*pi*f, Parseval), peak |acceleration|
in g and the (Pearson, normal = 3) kurtosis of the acceleration. `band_features` derives
the four spectral band values a condition-monitoring sensor reports: velocity RMS of the
1x and 2x shaft orders (Hann spectrum bins within +-2 bins of the order) and the envelope
spectrum amplitude (g) at BPFO and BPFI (band-pass 0.1-0.45 fs, Hilbert envelope, Hann-
windowed amplitude spectrum, highest bin within +-max(1 bin, 3 %) of the defect frequency).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft

G_MM_S2 = 9806.65  # 1 g in mm/s^2
VELOCITY_BAND_HZ = (10.0, 1000.0)
ENVELOPE_BAND_FS = (0.1, 0.45)  # envelope band-pass, fractions of the sample rate (2-9 kHz at 20.48 kHz)
ORDER_HALF_WIDTH_BINS = 2  # Hann main lobe: +-2 bins hold the energy of a line
DEFECT_TOLERANCE = 0.03  # relative search half-width around BPFO/BPFI (speed and slip uncertainty)

DEFECT_NONE = 0
DEFECT_OUTER = 1
DEFECT_INNER = 2
DEFECT_BALL = 3
DEFECT_CAGE = 4

_FFT_WORKERS = 1


@dataclass(frozen=True, slots=True)
class BearingFrequencies:
    """Defect frequencies (Hz) of a rolling bearing at one shaft speed."""

    ftf: float
    bpfo: float
    bpfi: float
    bsf: float


def bearing_frequencies(
    n_balls: int, ball_diameter_mm: float, pitch_diameter_mm: float, contact_angle_deg: float, shaft_hz: float
) -> BearingFrequencies:
    """Textbook kinematics with a stationary outer race (Randall & Antoni 2011, eqs 1-4)."""
    r = ball_diameter_mm / pitch_diameter_mm * math.cos(math.radians(contact_angle_deg))
    return BearingFrequencies(
        ftf=shaft_hz / 2.0 * (1.0 - r),
        bpfo=n_balls * shaft_hz / 2.0 * (1.0 - r),
        bpfi=n_balls * shaft_hz / 2.0 * (1.0 + r),
        bsf=pitch_diameter_mm / (2.0 * ball_diameter_mm) * shaft_hz * (1.0 - r * r),
    )


@dataclass(frozen=True, slots=True)
class Structure:
    """What the sensor sees of the machine structure: one resonance and a noise floor."""

    resonance_hz: float
    damping: float  # fraction of critical
    noise_g: float  # broadband acceleration noise RMS of the healthy machine, g
    noise_resonance_gain: float = 3.0


@dataclass(slots=True)
class WindowParams:
    """Per-window inputs; every array has shape (W,)."""

    shaft_hz: np.ndarray
    line_hz: np.ndarray
    vel_1x: np.ndarray  # velocity peak amplitude, mm/s
    vel_2x: np.ndarray
    vel_3x: np.ndarray
    vel_2line: np.ndarray
    vel_broadband: np.ndarray  # velocity RMS of the broadband part in 10-1000 Hz, mm/s
    noise_scale: np.ndarray  # multiplier of Structure.noise_g
    impact_g: np.ndarray  # peak of one defect impulse response, g (0: no defect impulses)
    defect_hz: np.ndarray  # impulse rate
    defect_vel: np.ndarray  # velocity peak amplitude at 1x defect frequency, mm/s
    mod_hz: np.ndarray  # amplitude modulation of the impulses (0: none)
    defect_kind: int = DEFECT_NONE

    @property
    def n_windows(self) -> int:
        return int(self.shaft_hz.shape[0])

    def take(self, sel: slice | np.ndarray) -> WindowParams:
        fields = {k: getattr(self, k)[sel] for k in self.__slots__ if k != "defect_kind"}
        return WindowParams(**fields, defect_kind=self.defect_kind)


class _Spectral:
    """Per (structure, fs, n) constants: frequency axis, resonance, noise shapes."""

    def __init__(self, structure: Structure, fs: float, n: int):
        self.fs, self.n = fs, n
        k = n // 2 + 1
        f = np.arange(k) * (fs / n)
        self.freqs = f
        fn = min(structure.resonance_hz, 0.4 * fs)
        wn = 2 * math.pi * fn
        zeta = structure.damping
        wd = wn * math.sqrt(1 - zeta * zeta)
        jw = 2j * math.pi * f
        h = wd / ((jw + zeta * wn) ** 2 + wd * wd)  # FT of exp(-zeta wn t) sin(wd t)
        self.impulse_tf = (h * fs).astype(np.complex64)  # unit-amplitude ringing per unit sample
        hn2 = np.abs(h) ** 2
        hn2 /= hn2.max()
        w2 = 1.0 + structure.noise_resonance_gain * hn2
        w2[0] = 0.0
        w2[-1] = 0.0
        w2 /= w2[1:-1].mean()
        self.accel_shape = (math.sqrt(n / 2.0) * structure.noise_g * np.sqrt(w2)).astype(np.float32)
        # broadband velocity: flat 10-100 Hz, falling as 1/f^2 above (acceleration as 1/f)
        fs_safe = np.maximum(f, 1e-9)
        b = np.where(f >= 8.0, 1.0, 0.0) * np.where(f <= 100.0, 1.0, (100.0 / fs_safe) ** 2)
        b[0] = 0.0
        b[-1] = 0.0
        lo, hi = self.band = _band_bins(fs, n)
        c = n / (2.0 * math.sqrt(float(np.sum(b[lo:hi] ** 2))))  # unit in-band velocity RMS
        self.broadband_shape = (c * b * 2 * math.pi * f / G_MM_S2).astype(np.float32)
        self.hann = np.hanning(n + 1)[:n].astype(np.float32)  # periodic Hann
        self.hann_power = float(np.mean(self.hann.astype(np.float64) ** 2))
        fb = f[lo:hi]
        self.vel_weight = ((G_MM_S2 / (2 * math.pi * fb)) ** 2).astype(np.float64)
        self.t = (np.arange(n) / fs).astype(np.float32)

    def expected_accel_ms2(self, noise_scale: float = 1.0, vel_broadband: float = 0.0) -> float:
        """Expected mean square acceleration (g^2) of the broadband parts."""
        m2 = (self.accel_shape.astype(np.float64) * noise_scale) ** 2
        m2 += (self.broadband_shape.astype(np.float64) * vel_broadband) ** 2
        return float(4.0 / self.n**2 * np.sum(m2))

    def expected_noise_band_velocity_ms2(self, noise_scale: float = 1.0) -> float:
        """Expected in-band velocity mean square (mm/s)^2 of the acceleration noise alone."""
        lo, hi = self.band
        a2 = (self.accel_shape[lo:hi].astype(np.float64) * noise_scale) ** 2 * 2.0
        return float(2.0 / self.n**2 * np.sum(a2 * self.vel_weight))


def _band_bins(fs: float, n: int) -> tuple[int, int]:
    df = fs / n
    lo = max(1, math.ceil(VELOCITY_BAND_HZ[0] / df - 1e-9))
    hi = min(n // 2, math.floor(VELOCITY_BAND_HZ[1] / df + 1e-9)) + 1
    return lo, hi


_SPECTRAL_CACHE: dict[tuple[Structure, float, int], _Spectral] = {}


def spectral(structure: Structure, fs: float, n: int) -> _Spectral:
    key = (structure, float(fs), int(n))
    sp = _SPECTRAL_CACHE.get(key)
    if sp is None:
        if len(_SPECTRAL_CACHE) > 4096:
            _SPECTRAL_CACHE.clear()
        sp = _SPECTRAL_CACHE[key] = _Spectral(structure, fs, n)
    return sp


def _vel_to_g(freq_hz: np.ndarray, vel_peak_mm_s: np.ndarray) -> np.ndarray:
    return (2 * math.pi * freq_hz * vel_peak_mm_s / G_MM_S2).astype(np.float32)


def synthesize(
    params: WindowParams,
    structure: Structure,
    fs: float,
    n: int,
    rng_noise: np.random.Generator,
    rng_fault: np.random.Generator | None = None,
) -> np.ndarray:
    """Raw acceleration windows, shape (W, n), float32, in g.

    `rng_noise` drives the broadband spectrum and the shaft phases (a fixed number of
    draws per window whatever the fault); `rng_fault` drives the defect impulses, so a
    fault never changes the draws, and hence the signals, it should not touch.
    """
    sp = spectral(structure, fs, n)
    w = params.n_windows
    k = n // 2 + 1
    # complex Gaussian spectrum by Box-Muller (E|Z|^2 = 2), cheaper than standard_normal
    u1 = rng_noise.random((w, k), dtype=np.float32)
    u2 = rng_noise.random((w, k), dtype=np.float32)
    np.subtract(np.float32(1.0), u1, out=u1)
    np.log(u1, out=u1)
    np.multiply(u1, np.float32(-2.0), out=u1)
    np.sqrt(u1, out=u1)
    np.multiply(u2, np.float32(2 * math.pi), out=u2)
    a = (params.noise_scale.astype(np.float32)[:, None] * sp.accel_shape[None, :]) ** 2
    b = params.vel_broadband.astype(np.float32)[:, None] * sp.broadband_shape[None, :]
    a += b * b
    np.sqrt(a, out=a)
    a *= u1  # Rayleigh amplitude
    spec = np.empty((w, k), dtype=np.complex64)
    spec.real = a * np.cos(u2)
    spec.imag = a * np.sin(u2)
    del u1, b
    phases = rng_noise.random((w, 4), dtype=np.float32) * np.float32(2 * math.pi)

    rows = np.flatnonzero(params.impact_g > 0)
    if rows.size and params.defect_kind != DEFECT_NONE:
        rng = rng_fault if rng_fault is not None else rng_noise
        spec[rows] += _impulse_spectrum(params.take(rows), sp, rng) * sp.impulse_tf[None, :]

    x = sfft.irfft(spec, n=n, axis=1, workers=_FFT_WORKERS)
    del spec
    t = sp.t
    comps = (
        (params.shaft_hz, params.vel_1x, 0),
        (2 * params.shaft_hz, params.vel_2x, 1),
        (3 * params.shaft_hz, params.vel_3x, 2),
        (2 * params.line_hz, params.vel_2line, 3),
    )
    arg = np.empty_like(x)
    for freq, vel, p in comps:
        if not np.any(vel > 0):
            continue
        amp = _vel_to_g(freq, vel)
        np.multiply((2 * math.pi * freq).astype(np.float32)[:, None], t[None, :], out=arg)
        arg += phases[:, p : p + 1]
        np.sin(arg, out=arg)
        arg *= amp[:, None]
        x += arg
    if np.any(params.defect_vel > 0):
        rng = rng_fault if rng_fault is not None else rng_noise
        sel = np.flatnonzero(params.defect_vel > 0)
        dphase = rng.random((sel.size, 3), dtype=np.float32) * np.float32(2 * math.pi)
        sub = np.empty((sel.size, n), dtype=np.float32)
        for h, ratio in ((1, 1.0), (2, 0.7), (3, 0.5)):
            freq = h * params.defect_hz[sel]
            amp = _vel_to_g(freq, ratio * params.defect_vel[sel])
            np.multiply((2 * math.pi * freq).astype(np.float32)[:, None], t[None, :], out=sub)
            sub += dphase[:, h - 1 : h]
            np.sin(sub, out=sub)
            sub *= amp[:, None]
            x[sel] += sub
    return x


def _impulse_spectrum(params: WindowParams, sp: _Spectral, rng: np.random.Generator) -> np.ndarray:
    """rfft of the defect impulse trains (unit: g peak of the ringing per impulse)."""
    w = params.n_windows
    n, fs = sp.n, sp.fs
    dur = n / fs
    rate = params.defect_hz.astype(np.float64)
    m = math.ceil(dur * float(rate.max())) + 2
    period = 1.0 / rate
    first = rng.random(w) * period
    idx = np.arange(m, dtype=np.float64)
    jitter = rng.standard_normal((w, m)) * 0.01  # ~1 % slip of rolling elements
    times = first[:, None] + (idx[None, :] + jitter) * period[:, None]
    amps = params.impact_g[:, None] * np.clip(1.0 + 0.15 * rng.standard_normal((w, m)), 0.2, None)
    psi = rng.random(w) * 2 * math.pi
    modf = params.mod_hz.astype(np.float64)
    mod = 0.25 + 0.75 * 0.5 * (1.0 + np.cos(2 * math.pi * modf[:, None] * times + psi[:, None]))
    amps = np.where(modf[:, None] > 0, amps * mod, amps)
    pos = np.rint(times * fs).astype(np.int64)
    ok = (pos >= 0) & (pos < n)
    r = np.broadcast_to(np.arange(w)[:, None], pos.shape)[ok]
    imp = np.zeros((w, n), dtype=np.float32)
    np.add.at(imp, (r, pos[ok]), amps[ok].astype(np.float32))
    return sfft.rfft(imp, axis=1, workers=_FFT_WORKERS)


def waveform_features(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(velocity RMS mm/s in 10-1000 Hz, peak |a| in g, kurtosis) for windows x (W, n)."""
    x = np.atleast_2d(x)
    n = x.shape[1]
    lo, hi = _band_bins(fs, n)
    hann = np.hanning(n + 1)[:n].astype(np.float32)
    hann_power = float(np.mean(hann.astype(np.float64) ** 2))
    fb = np.arange(lo, hi) * (fs / n)
    vel_weight = (G_MM_S2 / (2 * math.pi * fb)) ** 2
    peak = np.maximum(x.max(axis=1), -x.min(axis=1)).astype(np.float64)
    mean = x.mean(axis=1, dtype=np.float64).astype(x.dtype)
    xc = x - mean[:, None]
    sq = xc * xc
    m2 = sq.sum(axis=1, dtype=np.float64) / n
    m4 = np.einsum("ij,ij->i", sq, sq, dtype=np.float64) / n
    del sq
    kurt = m4 / np.maximum(m2 * m2, 1e-30)
    xc *= hann[None, :]
    spec = sfft.rfft(xc, axis=1, workers=_FFT_WORKERS)[:, lo:hi]
    p = spec.real.astype(np.float64) ** 2 + spec.imag.astype(np.float64) ** 2
    vel_ms = 2.0 * (p @ vel_weight) / (n * n * hann_power)
    return np.sqrt(vel_ms), peak, kurt


def band_features(
    x: np.ndarray, fs: float, shaft_hz: np.ndarray, bpfo_hz: np.ndarray, bpfi_hz: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(1x velocity RMS mm/s, 2x velocity RMS mm/s, envelope at BPFO g, envelope at BPFI g).

    Why these four: broadband RMS, peak and kurtosis cannot tell an outer-race from an
    inner-race defect, nor imbalance from misalignment; the shaft orders and the envelope
    lines at the defect frequencies can (docs/CONTRACTS.md section 1.1). `shaft_hz`,
    `bpfo_hz`, `bpfi_hz` are per window (W,); a non-positive frequency gives 0.
    """
    x = np.atleast_2d(x)
    w, n = x.shape
    df = fs / n
    k = n // 2 + 1
    f = np.arange(k) * df
    shaft = np.asarray(shaft_hz, dtype=np.float64).reshape(w)
    # orders: Hann spectrum, velocity power per bin, summed over the line's main lobe
    hi_bin = min(k, math.ceil(2.0 * float(shaft.max(initial=0.0)) / df) + ORDER_HALF_WIDTH_BINS + 2)
    hann = np.hanning(n + 1)[:n].astype(np.float32)
    hann_power = float(np.mean(hann.astype(np.float64) ** 2))
    xc = x - x.mean(axis=1, dtype=np.float64).astype(x.dtype)[:, None]
    lo_bin = _band_bins(fs, n)[0]
    orders = []
    if hi_bin > lo_bin:
        spec = sfft.rfft(xc * hann[None, :], axis=1, workers=_FFT_WORKERS)[:, lo_bin:hi_bin]
        fb = f[lo_bin:hi_bin]
        pv = (spec.real.astype(np.float64) ** 2 + spec.imag.astype(np.float64) ** 2) * (
            (G_MM_S2 / (2 * math.pi * fb)) ** 2
        )[None, :]
        for order in (1.0, 2.0):
            centre = order * shaft
            near = np.abs(fb[None, :] - centre[:, None]) <= (ORDER_HALF_WIDTH_BINS + 0.5) * df
            near &= (centre > 0)[:, None]
            orders.append(np.sqrt(2.0 * np.sum(pv * near, axis=1) / (n * n * hann_power)))
    else:
        orders = [np.zeros(w), np.zeros(w)]
    # envelope: analytic signal of the band-passed acceleration, then its Hann amplitude spectrum.
    # |analytic| does not change when the band is shifted to 0 Hz, so the inverse transform takes
    # only the band's bins (a shorter transform); the envelope is then sampled at fs * m / n.
    lo, hi = (math.ceil(a * n) for a in ENVELOPE_BAND_FS)
    m = sfft.next_fast_len(hi - lo)
    band = np.zeros((w, m), dtype=np.complex64)
    band[:, : hi - lo] = sfft.rfft(xc, axis=1, workers=_FFT_WORKERS)[:, lo:hi]
    env = np.abs(sfft.ifft(band, axis=1, workers=_FFT_WORKERS)).astype(np.float32)
    env -= env.mean(axis=1, keepdims=True)
    env_hann = np.hanning(m + 1)[:m].astype(np.float32)
    env *= env_hann[None, :]
    # 2 * m / n: one-sided analytic signal (x2) and the ifft's 1/m instead of 1/n
    scale = 2.0 * (2.0 * m / n) / float(env_hann.sum())
    f_top = max(float(np.max(bpfo_hz, initial=0.0)), float(np.max(bpfi_hz, initial=0.0)))
    kb = min(m // 2 + 1, math.ceil(f_top * (1 + DEFECT_TOLERANCE) / df) + 3)
    amp = np.abs(sfft.rfft(env, axis=1, workers=_FFT_WORKERS)[:, :kb]) * scale
    fk = f[:kb]
    out = []
    for fd in (bpfo_hz, bpfi_hz):
        fd = np.asarray(fd, dtype=np.float64).reshape(w)
        half = np.maximum(df, DEFECT_TOLERANCE * fd)
        near = (np.abs(fk[None, :] - fd[:, None]) <= half[:, None]) & (fd > 0)[:, None]
        out.append(np.max(np.where(near, amp, 0.0), axis=1, initial=0.0))
    return orders[0], orders[1], out[0], out[1]


def envelope_spectrum(
    x: np.ndarray, fs: float, band: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Squared-free envelope spectrum of one window: band-pass (FFT mask), Hilbert envelope,
    amplitude spectrum of the envelope. Returns (frequencies Hz, amplitude g)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    lo, hi = band or (fs * 0.1, fs * 0.45)
    spec = np.fft.fft(x - x.mean())
    f = np.fft.fftfreq(n, 1.0 / fs)
    analytic = np.zeros_like(spec)
    keep = (f >= lo) & (f <= hi)
    analytic[keep] = 2.0 * spec[keep]
    env = np.abs(np.fft.ifft(analytic))
    env -= env.mean()
    amp = np.abs(np.fft.rfft(env)) * 2.0 / n
    return np.fft.rfftfreq(n, 1.0 / fs), amp
