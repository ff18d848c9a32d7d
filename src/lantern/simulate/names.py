"""Synthetic names, their romanisation by agencies, and the noise agencies add when recording them.

Name pools (``data/names/<language>.yaml``) are small, invented-for-purpose lists of common given
and family names per origin language, each kept in its original script and, for non-Latin,
non-Cyrillic scripts, in a scholarly romanisation (ALA-LC for Arabic script, IAST-style for Brahmic
scripts, SERA-style for Ethiopic). ``data/romanisation.yaml`` holds, as data, how each agency
"habit" turns those into ASCII Latin letters (several systems per script, e.g. Mohammed /
Muhammad / Mohamed; Oleksandr / Oleksandr / Olexandr).

:func:`skeleton` is the linkage-style normalisation every romanisation variant of a name maps to:
lower-case ASCII letters, consonant classes (b p f v w | c g k q s x z | d t | l | m n | r), vowels
and the glides h, j, w-less y dropped, runs collapsed, and a dental absorbed by a following
sibilant (``ts`` = ``c`` = ``z``). It is a blocking key, not an identity: different names can
share a skeleton.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

DATA = Path(__file__).resolve().parent / "data"

#: script of each pool language
LANGUAGE_SCRIPT = {
    "ne": "brahmic", "hi": "brahmic", "bn": "brahmic", "si": "brahmic", "ta": "brahmic",
    "ar": "arabic", "ur": "arabic", "am": "ethiopic", "uk": "cyrillic", "ru": "cyrillic",
    "tr": "latin", "ro": "latin", "fil": "latin",
}

_PARTICLES = {"al", "el", "ad", "ud", "ul", "bin", "ibn", "bint", "de", "la", "dela", "van"}


@lru_cache(maxsize=1)
def _rules() -> dict:
    return yaml.safe_load((DATA / "romanisation.yaml").read_text(encoding="utf-8"))


def systems_for_script(script: str) -> tuple[str, ...]:
    """Romanisation systems available for a script (the first is the default)."""
    return tuple(_rules().get(script, {}))


@lru_cache(maxsize=1)
def pool_languages() -> frozenset[str]:
    """Languages that have a name pool."""
    return frozenset(p.stem for p in (DATA / "names").glob("*.yaml"))


# --------------------------------------------------------------------------- romanisation


def _greedy(text: str, table: dict[str, str], initial: dict[str, str] | None = None) -> str:
    """Replace in one left-to-right pass, longest key first; unmapped characters pass through."""
    if not table:
        return text
    longest = max(len(k) for k in table)
    out: list[str] = []
    i = 0
    word_start = True
    while i < len(text):
        done = False
        if word_start and initial and text[i] in initial:
            out.append(initial[text[i]])
            i += 1
            done = True
        if not done:
            for n in range(min(longest, len(text) - i), 0, -1):
                piece = text[i:i + n]
                if piece in table:
                    out.append(table[piece])
                    i += n
                    done = True
                    break
        if not done:
            out.append(text[i])
            i += 1
        word_start = not text[i - 1].isalpha() if i > 0 else True
    return "".join(out)


def _recase(text: str) -> str:
    """Capitalise each name part (split on spaces and hyphens), leaving particles like al-."""
    parts = []
    for token in text.split(" "):
        segs = token.split("-")
        cased = []
        for j, seg in enumerate(segs):
            if j == 0 and len(segs) > 1 and seg in _PARTICLES:
                cased.append(seg)
            else:
                k = 0
                while k < len(seg) and not seg[k].isalpha():
                    k += 1
                cased.append(seg[:k] + seg[k:k + 1].upper() + seg[k + 1:])
        parts.append("-".join(cased))
    out = " ".join(parts)
    return out[:1].upper() + out[1:]


def _ascii_fallback(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if c.isascii() and (c.isalpha() or c in " -'"))


def romanise(original: str, scholarly: str | None, language: str, system: str) -> str:
    """Write a name in ASCII Latin letters the way an agency with habit ``system`` would.

    Parameters
    ----------
    original : str
        The name in its original script (Cyrillic and Latin names are romanised from it).
    scholarly : str or None
        The scholarly romanisation kept in the pool (Arabic, Brahmic, Ethiopic scripts).
    language : str
        The pool language (ISO 639), which fixes the script and, for Cyrillic, the letter table.
    system : str
        A system listed in ``data/romanisation.yaml`` for that script.
    """
    script = LANGUAGE_SCRIPT[language]
    spec = _rules()[script][system]
    if script == "cyrillic":
        table = spec.get(language) or spec["ru"]
        letters = dict(table["letters"])
        letters.update(table.get("sequences", {}))
        text = _greedy(original.lower(), letters, table.get("initial"))
    elif script == "latin":
        text = _greedy(original.lower(), spec.get(language, {}))
    else:
        words = spec.get("words") or {}
        rules = dict(spec["rules"])
        src = (scholarly or original).lower()
        tokens = []
        for token in src.split(" "):
            # a whole-word override is the agency's spelling as is; other words go through the rules
            segs = [words[seg] if seg in words else _greedy(seg, rules) for seg in token.split("-")]
            tokens.append("-".join(segs))
        text = " ".join(tokens)
    text = _ascii_fallback(text)
    text = " ".join(text.split())
    return _recase(text)


# --------------------------------------------------------------------------- skeleton

_CLASS = {}
for _letters, _code in (("bpfvw", "1"), ("cgkqsxz", "2"), ("dt", "3"), ("l", "4"), ("mn", "5"), ("r", "6")):
    for _ch in _letters:
        _CLASS[_ch] = _code


def skeleton(name: str) -> str:
    """Linkage-style normalisation of a romanised name (see the module docstring).

    >>> skeleton("Mohammed") == skeleton("Muhammad") == skeleton("Mohamed")
    True
    """
    text = unicodedata.normalize("NFKD", name.lower())
    codes: list[str] = []
    for ch in text:
        c = _CLASS.get(ch)
        if c and (not codes or codes[-1] != c):
            codes.append(c)
    # a dental before a sibilant is part of an affricate: ts = c = z
    out: list[str] = []
    for c in codes:
        if c == "2" and out and out[-1] == "3":
            out[-1] = "2"
        elif not out or out[-1] != c:
            out.append(c)
        if len(out) >= 2 and out[-1] == out[-2]:
            out.pop()
    return "".join(out)


# --------------------------------------------------------------------------- pools


@dataclass(frozen=True)
class NamePools:
    """All pools flattened: entry ``i`` has ``language[i]``, ``kind[i]`` (male, female, family,
    family_female, middle_male, middle_female), ``original[i]`` and ``scholarly[i]``;
    ``index[(language, kind)]`` lists its entries; ``middle_rate[language]`` is the probability
    of a second given name."""

    language: tuple[str, ...]
    kind: tuple[str, ...]
    original: tuple[str, ...]
    scholarly: tuple[str | None, ...]
    index: dict[tuple[str, str], np.ndarray]
    middle_rate: dict[str, float]

    def romanised(self, system_by_script: dict[str, str]) -> np.ndarray:
        """Every pool entry romanised with one agency's systems (object array of str)."""
        return np.array(
            [
                romanise(o, s, lang, system_by_script[LANGUAGE_SCRIPT[lang]])
                for o, s, lang in zip(self.original, self.scholarly, self.language, strict=True)
            ],
            dtype=object,
        )


@lru_cache(maxsize=1)
def load_pools() -> NamePools:
    langs: list[str] = []
    kinds: list[str] = []
    orig: list[str] = []
    sch: list[str | None] = []
    index: dict[tuple[str, str], list[int]] = {}
    rates: dict[str, float] = {}
    for path in sorted((DATA / "names").glob("*.yaml")):
        lang = path.stem
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        rates[lang] = float(spec.get("middle_rate", 0.0))
        for kind in ("male", "female", "family", "family_female", "middle_male", "middle_female"):
            for entry in spec.get(kind, []):
                if isinstance(entry, str):
                    o, s = entry, None
                else:
                    o, s = entry[0], entry[1]
                index.setdefault((lang, kind), []).append(len(orig))
                langs.append(lang)
                kinds.append(kind)
                orig.append(o)
                sch.append(s)
    return NamePools(
        tuple(langs), tuple(kinds), tuple(orig), tuple(sch),
        {k: np.asarray(v, dtype=np.int32) for k, v in index.items()}, rates,
    )


def scholarly_latin(pools: NamePools) -> np.ndarray:
    """The truth's Latin form of each entry: the scholarly romanisation, or the first system's."""
    out = []
    for o, s, lang in zip(pools.original, pools.scholarly, pools.language, strict=True):
        script = LANGUAGE_SCRIPT[lang]
        out.append(s if s else romanise(o, None, lang, systems_for_script(script)[0]))
    return np.array(out, dtype=object)


# --------------------------------------------------------------------------- record noise

_KEYBOARD_NEIGHBOURS = {
    "a": "qswz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm",
    "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji",
    "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}


def typo(name: str, rng: np.random.Generator) -> str:
    """One keyboard error: a deletion, a neighbouring-key substitution, an insertion or a swap of
    two adjacent letters. Names of one letter are returned unchanged."""
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 2:
        return name
    kind = int(rng.integers(4))
    i = letters[int(rng.integers(len(letters)))]
    c = name[i]
    if kind == 0:
        return name[:i] + name[i + 1:]
    if kind == 1:
        nb = _KEYBOARD_NEIGHBOURS.get(c.lower(), "e")
        r = nb[int(rng.integers(len(nb)))]
        return name[:i] + (r.upper() if c.isupper() else r) + name[i + 1:]
    if kind == 2:
        nb = _KEYBOARD_NEIGHBOURS.get(c.lower(), "e")
        return name[:i + 1] + nb[int(rng.integers(len(nb)))] + name[i + 1:]
    j = i + 1 if i + 1 < len(name) and name[i + 1].isalpha() else i - 1
    a, b = sorted((i, j))
    if name[a].lower() == name[b].lower():
        return name[:i] + name[i + 1:]
    return name[:a] + name[b] + name[a] + name[b + 1:]


def apply_typos(values: np.ndarray, where: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a copy of ``values`` with one typo in each selected (non-null) entry."""
    out = values.copy()
    for i in np.flatnonzero(where):
        v = out[i]
        if v is not None:
            out[i] = typo(v, rng)
    return out


def all_variants(original: str, scholarly: str | None, language: str) -> Iterable[str]:
    """Every romanisation of one pool entry (one per system of its script)."""
    script = LANGUAGE_SCRIPT[language]
    for system in systems_for_script(script):
        yield romanise(original, scholarly, language, system)
