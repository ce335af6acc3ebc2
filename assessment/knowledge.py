"""Failure-mode library and local retrieval: pure Python + numpy, no Django, no network.

Library: ``docs/knowledge/*.md``, one file per failure mode.  Each file starts with metadata lines

    mode: bearing_outer
    generator_modes: bearing_outer          (data-generator fault modes it explains; may be empty)

followed by ``# Title``, a summary, and the sections ``## Symptoms``, ``## Checks``, ``## Actions``.

Passages: the text under each heading (``#`` to ``###``) up to the next heading; the lines before the
first heading are metadata, not a passage.  Extra documents (e.g. notes of resolved alerts) are added
as one passage each when the index is built.

Ranking: Okapi BM25 (k1 = 1.5, b = 0.75; idf = ln(1 + (N - df + 0.5) / (df + 0.5))) over lower-cased
alphanumeric tokens (the multiplication sign U+00D7 is read as ``x``, so "2<times>" and "2x" match), no stemming, no stop words.
A passage is indexed with its document title and heading.  Ties are broken by file then passage order,
so results are deterministic.  Only passages with score > 0 are returned.

``symptom_profile(factors, features)`` turns numeric evidence into the words the library uses
("kurtosis high impulsive", "1x dominant", "bpfo outer race", "power factor low", ...).  Only abnormal
evidence produces words: with a bag-of-words ranker a phrase like "temperature normal" would pull the
query towards the overheating guide, so normal channels are left out.  Feature keys and thresholds are
listed in ``FEATURE_RULES`` below.  The strongest evidence is relative to the asset's own healthy
baseline (``SPECTRAL_RULES``: the event's spectral band values as ratios to their baseline median; the
power-factor drop and the temperature-rise excess): its words are repeated, which in BM25 is query term
frequency, so that a line that grew tenfold outweighs the generic words of the alert cause.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LIBRARY = REPO_ROOT / "docs" / "knowledge"

BM25_K1 = 1.5
BM25_B = 0.75
EXCERPT_CHARS = 500

# Data-generator fault modes -> library modes that explain them (first = primary).
GENERATOR_MODE_MAP: dict[str, tuple[str, ...]] = {
    "bearing_outer": ("bearing_outer",),
    "bearing_inner": ("bearing_inner",),
    "imbalance": ("imbalance",),
    "misalignment": ("misalignment",),
    "overheating": ("overheating",),
    "electrical": ("voltage_unbalance", "insulation"),
}

_TOKEN_RE = re.compile(r"[a-z0-9]+")
_HEADING_RE = re.compile(r"^(#{1,3})\s+(.*?)\s*#*\s*$")
_META_RE = re.compile(r"^([a-z_]+):\s*(.*)$")


def tokenize(text: str) -> list[str]:
    return _TOKEN_RE.findall(text.lower().replace("\u00d7", "x"))


@dataclass(frozen=True)
class Passage:
    mode: str
    file: str  # repo-relative path, or "note:<id>" for extra documents
    heading: str  # "Title > Section" (or "Title" for the summary)
    text: str  # body under the heading
    order: int  # position in the file

    @property
    def citation(self) -> str:
        return f"{self.file} § {self.heading}"


@dataclass(frozen=True)
class KnowledgeHit:
    mode: str
    file: str
    heading: str
    score: float
    excerpt: str

    @property
    def citation(self) -> str:
        return f"{self.file} § {self.heading}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["score"] = round(self.score, 3)
        d["citation"] = self.citation
        return d


@dataclass(frozen=True)
class ModeDoc:
    mode: str
    generator_modes: tuple[str, ...]
    title: str
    path: str
    passages: tuple[Passage, ...]


def parse_mode_doc(text: str, rel_path: str) -> ModeDoc:
    """Split one library file into metadata and passages."""
    meta: dict[str, str] = {}
    lines = text.splitlines()
    sections: list[tuple[int, str, list[str]]] = []  # (level, heading, body lines)
    for line in lines:
        h = _HEADING_RE.match(line)
        if h:
            sections.append((len(h.group(1)), h.group(2), []))
            continue
        if not sections:
            m = _META_RE.match(line.strip())
            if m:
                meta[m.group(1)] = m.group(2).strip()
            continue
        sections[-1][2].append(line)
    if "mode" not in meta or not meta["mode"]:
        raise ValueError(f"{rel_path}: missing 'mode:' line")
    mode = meta["mode"]
    gen = tuple(x.strip() for x in meta.get("generator_modes", "").split(",") if x.strip())
    title = next((h for lvl, h, _ in sections if lvl == 1), mode)
    passages = []
    for i, (lvl, heading, body) in enumerate(sections):
        label = heading if lvl == 1 else f"{title} > {heading}"
        passages.append(Passage(mode, rel_path, label, "\n".join(body).strip(), i))
    return ModeDoc(mode, gen, title, rel_path, tuple(passages))


def load_library(root: Path | str | None = None) -> list[ModeDoc]:
    """All ``*.md`` files of the library, sorted by file name."""
    root = Path(root) if root is not None else DEFAULT_LIBRARY
    docs = []
    for path in sorted(root.glob("*.md")):
        try:
            rel = path.resolve().relative_to(REPO_ROOT).as_posix()
        except ValueError:
            rel = path.as_posix()
        docs.append(parse_mode_doc(path.read_text(encoding="utf-8"), rel))
    return docs


def _note_passage(i: int, note: Mapping[str, Any] | Any) -> Passage:
    get = note.get if isinstance(note, Mapping) else (lambda k, d=None: getattr(note, k, d))
    note_id = str(get("id", None) or get("note_id", None) or i)
    title = str(get("title", None) or "Resolution note")
    return Passage(str(get("mode", None) or "unknown"), f"note:{note_id}", title, str(get("text", "")), 0)


class KnowledgeIndex:
    """BM25 index over library passages plus extra documents."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages: list[Passage] = sorted(passages, key=lambda p: (p.file, p.order))
        docs = [tokenize(f"{p.heading}\n{p.text}") for p in self.passages]
        self.vocab: dict[str, int] = {}
        for toks in docs:
            for t in toks:
                self.vocab.setdefault(t, len(self.vocab))
        n, v = len(docs), len(self.vocab)
        tf = np.zeros((n, v), dtype=np.float64)
        for i, toks in enumerate(docs):
            for t, c in Counter(toks).items():
                tf[i, self.vocab[t]] = c
        self.doc_len = tf.sum(axis=1)
        avgdl = float(self.doc_len.mean()) if n else 0.0
        df = (tf > 0).sum(axis=0)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)) if n else np.zeros(0)
        norm = BM25_K1 * (1.0 - BM25_B + BM25_B * (self.doc_len / avgdl if avgdl > 0 else 1.0))
        self._weights = tf * (BM25_K1 + 1.0) / (tf + norm[:, None]) if n else tf  # type: ignore[index]

    @classmethod
    def build(
        cls,
        root: Path | str | None = None,
        extra_documents: Iterable[Mapping[str, Any] | Any] | None = None,
    ) -> KnowledgeIndex:
        """Library passages + one passage per extra document (mapping or object with ``text`` and
        optional ``id``, ``mode``, ``title``)."""
        passages = [p for doc in load_library(root) for p in doc.passages]
        passages += [_note_passage(i, d) for i, d in enumerate(extra_documents or ())]
        return cls(passages)

    def with_documents(self, extra_documents: Iterable[Mapping[str, Any] | Any]) -> KnowledgeIndex:
        """A new index: this index's library passages (notes dropped) plus one passage per document."""
        base = [p for p in self.passages if not p.file.startswith("note:")]
        return KnowledgeIndex(base + [_note_passage(i, d) for i, d in enumerate(extra_documents)])

    def passages_of(self, file: str) -> list[Passage]:
        """The passages of one file, in file order."""
        return [p for p in self.passages if p.file == file]

    def scores(self, query: str) -> np.ndarray:
        q = Counter(t for t in tokenize(query) if t in self.vocab)
        out = np.zeros(len(self.passages))
        for t, c in q.items():
            j = self.vocab[t]
            out += c * self.idf[j] * self._weights[:, j]
        return out

    def search(self, query: str, k: int = 3) -> list[KnowledgeHit]:
        s = self.scores(query)
        order = sorted(
            range(len(self.passages)), key=lambda i: (-s[i], self.passages[i].file, self.passages[i].order)
        )
        hits = []
        for i in order[: max(0, k)]:
            if not s[i] > 0:
                break
            p = self.passages[i]
            hits.append(KnowledgeHit(p.mode, p.file, p.heading, float(s[i]), p.text[:EXCERPT_CHARS]))
        return hits

    def rank_modes(self, query: str) -> list[tuple[str, float]]:
        """Modes by their best passage score (desc, then mode name); only scores > 0."""
        s = self.scores(query)
        best: dict[str, float] = {}
        for p, sc in zip(self.passages, s, strict=True):
            if sc > 0 and sc > best.get(p.mode, 0.0):
                best[p.mode] = float(sc)
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))


_DEFAULT_INDEX: KnowledgeIndex | None = None


def default_index() -> KnowledgeIndex:
    """The library index without extra documents (built once per process)."""
    global _DEFAULT_INDEX
    if _DEFAULT_INDEX is None:
        _DEFAULT_INDEX = KnowledgeIndex.build()
    return _DEFAULT_INDEX


# --- symptom profile ---------------------------------------------------------------------------------

# (feature key, comparison, threshold, words).  Values are compared as floats; missing/None are skipped.
FEATURE_RULES: tuple[tuple[str, str, float, str], ...] = (
    ("kurtosis", ">=", 4.0, "kurtosis high impulsive"),
    ("kurtosis_slope_per_day", ">", 0.1, "kurtosis rising"),
    ("vibration_rms_slope_mm_s_per_day", ">", 0.05, "vibration rms rising trend"),
    ("crest_factor", ">=", 5.0, "crest factor high impulsive"),
    ("axial_radial_ratio", ">=", 0.5, "axial vibration high"),
    ("harmonics_count", ">=", 3.0, "multiple harmonics"),
    ("voltage_unbalance_pct", ">", 1.0, "voltage unbalance phases"),
    ("current_unbalance_pct", ">", 5.0, "current unbalance phase"),
    ("insulation_resistance_mohm", "<", 100.0, "insulation resistance low"),
    ("polarization_index", "<", 2.0, "polarization index low"),
    ("leakage_current_ma", ">", 30.0, "earth leakage current"),
    ("temperature_slope_c_per_day", ">", 0.5, "temperature rising"),
    ("ambient_temperature_c", ">", 40.0, "ambient temperature high"),
    ("thd_pct", ">", 8.0, "harmonic distortion thd"),
    ("load_factor", "<", 0.5, "light load underloaded"),
    ("load_factor", ">", 1.15, "overload load factor high"),
)
_ENVELOPE_WORDS = {
    "envelope_bpfo": "bpfo outer race envelope",
    "envelope_bpfi": "bpfi inner race envelope sidebands",
    "envelope_bsf": "bsf ball spin rolling element envelope",
    "envelope_ftf": "ftf cage envelope",
}
# Baseline-relative spectral evidence (docs/CONTRACTS.md §15.5): key = ratio of the current 15-min mean
# to the asset's baseline median.  (key, ratio threshold, words); see ``_spectral_words``.
SPECTRAL_RULES: tuple[tuple[str, float, str], ...] = (
    ("envelope_bpfo_ratio", 2.0, "bpfo envelope outer race defect frequency"),
    ("envelope_bpfi_ratio", 2.0, "bpfi envelope inner race defect frequency sidebands"),
    ("vibration_1x_ratio", 1.5, "1x order running speed radial once per revolution imbalance"),
    ("vibration_2x_ratio", 1.5, "2x order twice running speed axial misalignment"),
)
#: query repetitions of the dominant spectral words: a band value that rose several times over the
#: machine's own baseline is stronger evidence than the generic words of the alert and the factors
SPECTRAL_WEIGHT = 3
#: baseline-relative thermal and electrical evidence (key >= threshold), repeated BASELINE_WEIGHT times:
#: the supply-alert words ("power factor low", "voltage deviation") otherwise decide the mode alone
BASELINE_WEIGHT = 2
TEMPERATURE_EXCESS_C = 5.0
POWER_FACTOR_DROP = 0.04
TEMPERATURE_EXCESS_WORDS = "temperature rise above ambient higher than baseline thermal cooling"
_POWER_FACTOR_DROP_WORDS = "power factor below baseline reactive current rising terminal unbalance winding"
_FACTOR_WORDS = {
    "temperature": "temperature high",
    "power_factor": "power factor low",
    "current": "current high",
    "temperature_rise": TEMPERATURE_EXCESS_WORDS,
}


def _num(features: Mapping[str, Any], key: str) -> float | None:
    x = features.get(key)
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _factor_words(f: Any) -> str | None:
    name = getattr(f, "name", None)
    if name == "vibration":
        zone = getattr(f, "zone", None)
        return f"vibration rms high zone {zone.lower()}" if zone else "vibration rms high"
    if name == "voltage":
        dev = getattr(f, "deviation_pct", None)
        if dev is None:
            return "voltage deviation"
        return "under voltage low" if dev < 0 else "over voltage high"
    if name == "frequency":
        dev = getattr(f, "deviation_pct", None)
        side = "" if dev is None else (" frequency low" if dev < 0 else " frequency high")
        return "frequency excursion" + side
    return _FACTOR_WORDS.get(name or "")


def symptom_profile(factors: Sequence[Any], features: Mapping[str, Any] | None = None) -> str:
    """Words describing the abnormal evidence (see module docstring and FEATURE_RULES).

    ``factors``: ``explain.Factor`` objects (those with penalty > 0; the anomaly factor adds no words).
    ``features``: optional numbers, e.g. ``kurtosis``, ``kurtosis_slope_per_day``,
    ``vibration_rms_slope_mm_s_per_day``, harmonic amplitudes ``amp_1x``, ``amp_2x``, ``amp_3x``,
    ``amp_0_5x``, ``amp_2fl`` (twice line frequency), envelope band amplitudes ``envelope_bpfo``,
    ``envelope_bpfi``, ``envelope_bsf``, ``envelope_ftf``, and the keys of FEATURE_RULES.
    """
    features = features or {}
    words: list[str] = []
    names = set()
    for f in factors:
        if not (getattr(f, "penalty", 1.0) or 0) > 0:
            continue
        names.add(getattr(f, "name", None))
        w = _factor_words(f)
        if w:
            words.append(w)

    for key, op, thr, w in FEATURE_RULES:
        x = _num(features, key)
        if x is not None and (
            (op == ">=" and x >= thr) or (op == ">" and x > thr) or (op == "<" and x < thr)
        ):
            words.append(w)
    k = _num(features, "kurtosis")
    if k is not None and 3.5 <= k < 4.0:
        words.append("kurtosis elevated")

    # harmonic pattern of the vibration spectrum (amplitudes in any common unit)
    a1, a2, a3 = (_num(features, f"amp_{h}x") for h in (1, 2, 3))
    ah, a2fl = _num(features, "amp_0_5x"), _num(features, "amp_2fl")
    if a1 is not None and a1 > 0:
        others = [x for x in (a2, a3) if x is not None]
        if others and a1 >= 2.0 * max(others):
            words.append("1x dominant radial once per revolution")
        if a2 is not None and a2 >= 0.5 * a1:
            words.append("2x high twice per revolution")
        if a3 is not None and a3 >= 0.3 * a1 and a2 is not None and a2 >= 0.3 * a1:
            words.append("multiple harmonics")
        if ah is not None and ah >= 0.2 * a1:
            words.append("subharmonics 0.5x")
        if a2fl is not None and a2fl >= 0.5 * a1:
            words.append("twice line frequency 100 hz")

    # envelope spectrum: one dominant bearing frequency (>= 1.5x the next)
    env = {key: _num(features, key) for key in _ENVELOPE_WORDS}
    env_vals = sorted(((v, key) for key, v in env.items() if v is not None and v > 0), reverse=True)
    if env_vals and (len(env_vals) == 1 or env_vals[0][0] >= 1.5 * env_vals[1][0]):
        words.append(_ENVELOPE_WORDS[env_vals[0][1]])

    words += _spectral_words(features)

    # against the machine's own baseline: the power factor fell (an electrical fault at this
    # machine) or the temperature rise over ambient grew without one (a thermal / cooling fault)
    pf_drop = _num(features, "power_factor_drop")
    excess = _num(features, "temperature_rise_excess_c")
    if pf_drop is not None and pf_drop >= POWER_FACTOR_DROP:
        words += [_POWER_FACTOR_DROP_WORDS] * BASELINE_WEIGHT
    elif excess is not None and excess >= TEMPERATURE_EXCESS_C:
        words += [TEMPERATURE_EXCESS_WORDS] * BASELINE_WEIGHT

    # hot machine without a vibration or load explanation: a thermal / cooling problem
    if "temperature" in names and "vibration" not in names and "current" not in names:
        words.append("thermal cooling")
    return " ".join(words)


def _spectral_words(features: Mapping[str, Any]) -> list[str]:
    """Words of the strongest spectral band evidence, repeated ``SPECTRAL_WEIGHT`` times.

    Why only the strongest: a developed bearing defect also lifts the shaft orders a little, and
    misalignment lifts 1x with 2x; the band that rose most over its own baseline (as a multiple of
    its threshold) is the one that tells the modes apart.  Between the two envelope lines, and
    between the two orders, the other of the pair must be exceeded for the words to count.
    """
    strength = {}
    for key, thr, _ in SPECTRAL_RULES:
        x = _num(features, key)
        if x is not None and x >= thr:
            strength[key] = x / thr
    pairs = (("envelope_bpfo_ratio", "envelope_bpfi_ratio"), ("vibration_1x_ratio", "vibration_2x_ratio"))
    for a, b in pairs:
        ra, rb = _num(features, a), _num(features, b)
        if a in strength and rb is not None and ra is not None and ra <= rb:
            del strength[a]
        if b in strength and ra is not None and rb is not None and rb < ra:
            del strength[b]
    if not strength:
        return []
    best = max(strength, key=lambda k: (strength[k], k))
    words = next(w for k, _, w in SPECTRAL_RULES if k == best)
    return [words] * SPECTRAL_WEIGHT


def retrieve(
    factors: Sequence[Any],
    features: Mapping[str, Any] | None = None,
    k: int = 3,
    index: KnowledgeIndex | None = None,
) -> list[KnowledgeHit]:
    """Top-k library passages for the symptom profile of ``factors`` and ``features``."""
    return (index or default_index()).search(symptom_profile(factors, features), k=k)
