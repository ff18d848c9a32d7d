"""Normalisation of identifiers before comparison: scripts, diacritics, dates of birth.

The same person's name reaches different agencies written in different scripts and spellings
(``Юлия Ковальчук``, ``Yuliia Kovalchuk``, ``Julija Koval'chuk``). Before any comparison every name
goes through :func:`normalise_name`:

1. Unicode NFKC (compatibility forms, full-width letters) and case folding;
2. transliteration of every script to ASCII with :mod:`anyascii` (ISC licence, maintained; it
   covers Cyrillic, Greek, Arabic, Devanagari, CJK, …). Transliteration is *many-to-one and lossy*:
   it makes names comparable, not identical — the fuzzy and phonetic comparison levels absorb the rest;
3. diacritics are removed as part of (2) (``ü`` → ``u``, ``ł`` → ``l``, ``ß`` → ``ss``);
4. everything that is not a letter becomes a space (apostrophes and hyphens join the parts:
   ``O'Neil`` → ``ONEIL``, ``Abu-Bakr`` → ``ABUBAKR``), runs of spaces collapse, upper case.

A phonetic code is computed on the normalised form by :func:`phonetic`: the consonant classes of
Soundex (Russell 1918; b f p v w | c g k q s x z | d t | l | m n | r) over the *whole* name,
vowels and the glides h, j, y dropped, repeated classes collapsed, and a dental followed by a
sibilant read as one affricate (``ts`` = ``c`` = ``z``, ``tsch`` = ``ch``: the rule of the
simulator's :mod:`lantern.simulate.skeleton`, so ``Tkachenko``/``Tkatschenko``/``Tkacenko`` and
``Kharchenko``/``Chartschenko`` agree). Unlike classic Soundex it keeps no first letter
and no length limit, so the variants that romanisation produces — initial ``Y``/``I``/``J``
(``Yuliya``/``Iuliia``/``Julija``), ``v``/``w``, ``ks``/``x``, ``kh``/``h``, doubled or dropped
vowels (``Mohammed``/``Muhammad``/``Mohamed``) — share a code. NYSIIS and Metaphone (in
:mod:`jellyfish`) were tried first and split those variants. A code is evidence, not identity:
unrelated names can share one (the model learns how much it is worth).

Dates of birth are normalised by :func:`normalise_dob` to ``YYYY-MM-DD`` strings without calendar
validation (``1990-02-30`` is a plausible typo and must still compare with ``1990-02-03``).
Placeholder dates — 1 January, the value many registries enter when only the year is known — are
flagged so the model gives an exact match on them less weight than a match on a full date.

All functions here work on *unique* values; callers map results back to rows.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

_NON_LETTER = re.compile(r"[^A-Z ]+")
_JOINERS = re.compile(r"['’ʼ`´\-‐‑]")
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
#: long vowels written doubled (Brahmic romanisations: ā → aa, ī → ee, ū → oo; also ii, uu) read as one
#: short vowel, so "Raajpoot"/"Rajput" and "Deepak"/"Dipak" compare equal. A run of any length folds
#: (``Maaaria`` → ``MARIA``), and E/O before I/U, so the result is a fixed point of the folding.
_LONG_VOWELS = tuple((re.compile(f"{v}{{2,}}"), short) for v, short in (("A", "A"), ("E", "I"), ("O", "U"),
                                                                        ("I", "I"), ("U", "U")))

PLACEHOLDER_MONTH_DAY = ("01", "01")


@lru_cache(maxsize=500_000)
def normalise_name(value: object) -> str | None:
    """Return the comparison form of a name, or ``None`` when nothing usable is left.

    Parameters
    ----------
    value : object
        A name in any script; ``None``/NaN and blank strings give ``None``.
    """
    if value is None or not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).casefold()
    text = anyascii(text).upper()
    text = _JOINERS.sub("", text)
    text = _NON_LETTER.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    for long, short in _LONG_VOWELS:
        text = long.sub(short, text)
    return text or None


_CLASSES = str.maketrans({**dict.fromkeys("BFPVW", "1"), **dict.fromkeys("CGKQSXZ", "2"), **dict.fromkeys("DT", "3"),
                          "L": "4", **dict.fromkeys("MN", "5"), "R": "6", **dict.fromkeys("AEIOUHJY", "")})
_RUNS = re.compile(r"(\d)\1+")
#: a dental followed by a sibilant is one affricate: Ukrainian/Russian ц is written ts (passport),
#: c (scholarly), z or tz (German); ч is ch, tsch or c — so "32" (d/t + s/z/c…) codes as "2"
_AFFRICATE = re.compile(r"3+2")


@lru_cache(maxsize=500_000)
def phonetic(value: str | None) -> str | None:
    """Whole-name consonant-class code of a normalised name (parts coded separately, space-joined).

    A part with no consonant (``AYA``) keeps its first letter so it is not lost.
    """
    if not value:
        return None
    codes = []
    for part in value.split(" "):
        if not part:
            continue
        code = _RUNS.sub(r"\1", _AFFRICATE.sub("2", _RUNS.sub(r"\1", part.translate(_CLASSES))))
        codes.append(code or part[0])
    return " ".join(codes) or None


def normalise_dob(value: object) -> str | None:
    """Return a date of birth as ``YYYY-MM-DD`` (no calendar check) or ``None``.

    Accepts ISO dates (``1990-05-12``, with or without a time part), compact ``19900512``, and
    ``DD/MM/YYYY`` or ``DD.MM.YYYY`` (the European order; ``MM/DD`` is not guessed — the comparison
    level for day/month swaps catches it). Anything else is treated as unknown.
    """
    if value is None:
        return None
    if hasattr(value, "strftime"):
        try:
            return value.strftime("%Y-%m-%d")
        except ValueError:
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()[:10]
    parts = _DIGITS.findall(text)
    if len(parts) == 1 and len(parts[0]) == 8:
        y, m, d = parts[0][:4], parts[0][4:6], parts[0][6:]
    elif len(parts) == 3 and len(parts[0]) == 4:
        y, m, d = parts
    elif len(parts) == 3 and len(parts[2]) == 4:
        d, m, y = parts
    else:
        return None
    if len(y) != 4 or not (1 <= len(m) <= 2) or not (1 <= len(d) <= 2):
        return None
    return f"{y}-{int(m):02d}-{int(d):02d}"


def is_placeholder_dob(dob: str | None) -> bool:
    """True for 1 January, the usual placeholder when only the year of birth is known."""
    if not dob:
        return False
    return dob[5:7] == PLACEHOLDER_MONTH_DAY[0] and dob[8:10] == PLACEHOLDER_MONTH_DAY[1]


def normalise_code(value: object) -> str | None:
    """Upper-case, trimmed code (sex, citizenship) or ``None``."""
    if value is None or not isinstance(value, str):
        return None
    text = value.strip().upper()
    return text or None


def normalise_text(value: object) -> str | None:
    """Comparison form of a free-text extra field (addresses, places): like names, digits kept."""
    if value is None:
        return None
    if not isinstance(value, str):
        if isinstance(value, float) and value != value:  # NaN
            return None
        value = str(value)
    text = anyascii(unicodedata.normalize("NFKC", value).casefold()).upper()
    text = re.sub(r"[^A-Z0-9 ]+", " ", text)
    text = _SPACES.sub(" ", text).strip()
    return text or None
