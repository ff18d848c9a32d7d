"""Typed, immutable objects of the data standard.

Every object read from the YAML is a frozen dataclass. Collections of items are :class:`ItemSet`
objects: they iterate over the items in the order of the YAML (like a tuple) and can also be indexed
by id (``std.indicators["deceptive_recruitment.nature_of_job"]``).

Notes
-----
Nothing here imports Django; the module is part of the analytic core.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

GRADES = ("strong", "medium", "weak")
"""ILO–EC indicator grades, strongest first."""

INDICATOR_LISTS = ("adult_labour", "adult_sexual", "child_labour", "child_sexual")
"""The four ILO–EC lists: adults / children × labour / sexual exploitation."""

LABEL_LANGUAGES = ("en", "ro")
"""Languages every label and question wording must be given in."""


def _label(labels: Mapping[str, str], lang: str) -> str:
    return labels.get(lang) or labels.get("en") or ""


@dataclass(frozen=True)
class Item:
    """Fields shared by every item of the standard.

    Attributes
    ----------
    id : str
        Stable identifier; never re-used, even after the item is retired.
    labels : dict
        Short label per language (``en``, ``ro``).
    description : str
        What the item means, in English.
    source : str
        Where it comes from (document, article, page).
    verified : bool
        ``False`` when the primary source was not at hand when the item was written.
    retired : bool
        A retired item stays in the standard (its id is reserved) but is no longer asked.
    """

    id: str
    labels: dict[str, str] = field(default_factory=dict, compare=False)
    description: str = field(default="", compare=False)
    source: str = field(default="", compare=False)
    verified: bool = field(default=False, compare=False)
    retired: bool = field(default=False, compare=False)

    def label(self, lang: str = "en") -> str:
        """The label in ``lang`` (English if missing)."""
        return _label(self.labels, lang)


@dataclass(frozen=True)
class Dimension(Item):
    """One of the six ILO–EC dimensions.

    ``role`` is ``act_means`` (the three recruitment dimensions), ``exploitation`` (exploitative
    conditions of work) or ``coercion`` (coercion or abuse of vulnerability at destination).
    """

    role: str = ""
    order: int = 0


@dataclass(frozen=True)
class Indicator(Item):
    """An ILO–EC operational indicator of trafficking.

    ``grades`` maps each list in :data:`INDICATOR_LISTS` where the indicator appears to its grade
    (``strong``, ``medium`` or ``weak``); a list missing from ``grades`` does not include the item.
    ``question`` holds the plain-language yes/no wording per language.
    """

    dimension: str = ""
    grades: dict[str, str] = field(default_factory=dict, compare=False)
    question: dict[str, str] = field(default_factory=dict, compare=False)
    grades_verified: dict[str, bool] = field(default_factory=dict, compare=False)

    @property
    def slug(self) -> str:
        """The part of the id after the dimension."""
        return self.id.split(".", 1)[1]

    def grade(self, list_name: str = "adult_labour") -> str | None:
        """Grade in ``list_name`` or ``None`` when the indicator is not in that list."""
        return self.grades.get(list_name)

    def ask(self, lang: str = "en") -> str:
        """The plain-language question in ``lang``."""
        return _label(self.question, lang) or self.label(lang)


@dataclass(frozen=True)
class Factor(Item):
    """An IOM determinant of migrant vulnerability: ``level`` and ``kind`` (risk | protective)."""

    level: str = ""
    kind: str = ""
    question: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def slug(self) -> str:
        """The part of the id after the level."""
        return self.id.split(".", 1)[1]

    def ask(self, lang: str = "en") -> str:
        """The plain-language question in ``lang``."""
        return _label(self.question, lang) or self.label(lang)


@dataclass(frozen=True)
class ForcedLabourIndicator(Item):
    """One of the eleven ILO indicators of forced labour (2012); ``ilo_ec`` lists the ILO–EC ids
    that evidence it (the mapping is Lantern's)."""

    ilo_ec: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Code(Item):
    """One value of a code list; ``extra`` holds list-specific fields (e.g. ``nace``, ``isced``)."""

    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Definition(Item):
    """An operational definition; ``rule`` is the machine-readable rule evaluated by screening."""

    rule: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Country:
    """A country or territory from ISO 3166-1 (through pycountry) with membership flags."""

    id: str
    alpha_3: str
    numeric: str
    name: str
    official_name: str = ""
    eu: bool = False
    eea: bool = False
    schengen: bool = False
    name_ro: str = ""

    @property
    def alpha_2(self) -> str:
        """ISO 3166-1 alpha-2 code (same as ``id``)."""
        return self.id

    @property
    def tcn(self) -> bool:
        """Citizens of this country are third-country nationals in the EU (not EU citizens)."""
        return not self.eu

    def label(self, lang: str = "en") -> str:
        """The short name in ``lang`` (Romanian from pycountry's ISO 3166 translations)."""
        return (self.name_ro or self.name) if lang == "ro" else self.name


@dataclass(frozen=True)
class Language:
    """A language from ISO 639 (through pycountry).

    ``id`` follows BCP 47: the ISO 639-1 two-letter code when there is one, else the ISO 639-3 code.
    """

    id: str
    alpha_3: str
    name: str
    alpha_2: str | None = None
    scope: str = "I"
    type: str = "L"
    name_ro: str = ""

    def label(self, lang: str = "en") -> str:
        """The name in ``lang`` (Romanian from pycountry's ISO 639-3 translations)."""
        return (self.name_ro or self.name) if lang == "ro" else self.name


T = TypeVar("T")


class ItemSet(Generic[T]):
    """An ordered, read-only collection of items that can also be looked up by id.

    Iterating yields the items (not the ids); ``s[0]`` is positional, ``s["id"]`` looks up by id;
    ``"id" in s`` tests an id.
    """

    __slots__ = ("_items", "_by_id", "name")

    def __init__(self, items: Iterable[T], *, name: str = "", aliases: Mapping[str, T] | None = None):
        self._items: tuple[T, ...] = tuple(items)
        self._by_id: dict[str, T] = {item.id: item for item in self._items}  # type: ignore[attr-defined]
        if aliases:
            for key, item in aliases.items():
                self._by_id.setdefault(key, item)
        self.name = name

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, str):
            try:
                return self._by_id[key]
            except KeyError:
                raise KeyError(f"{self.name or 'item set'} has no id {key!r}") from None
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return key in self._by_id
        return key in self._items

    def __repr__(self) -> str:
        return f"ItemSet({self.name!r}, {len(self._items)} items)"

    def get(self, key: str, default: Any = None) -> Any:
        """The item with id ``key`` or ``default``."""
        return self._by_id.get(key, default)

    def ids(self) -> list[str]:
        """Ids in order."""
        return [item.id for item in self._items]  # type: ignore[attr-defined]

    def where(self, **attrs: Any) -> list[T]:
        """Items whose attributes equal every keyword given, e.g. ``factors.where(kind="risk")``."""
        return [i for i in self._items if all(getattr(i, k) == v for k, v in attrs.items())]


@dataclass(frozen=True)
class CodeList:
    """A named list of codes (e.g. ``sex``, ``sector``) with its own label, source and items."""

    name: str
    items: ItemSet[Code]
    labels: dict[str, str] = field(default_factory=dict)
    description: str = ""
    source: str = ""
    verified: bool = False

    @property
    def id(self) -> str:
        """Same as ``name``."""
        return self.name

    def __iter__(self) -> Iterator[Code]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, code: object) -> bool:
        return code in self.items

    def __getitem__(self, key: int | str) -> Code:
        return self.items[key]

    def ids(self) -> list[str]:
        """The codes, in order (retired codes included)."""
        return self.items.ids()

    def active_ids(self) -> list[str]:
        """The codes that may still be recorded."""
        return [c.id for c in self.items if not c.retired]

    def label(self, lang: str = "en") -> str:
        """The list's own label."""
        return _label(self.labels, lang)


class Column(str):
    """A column of the flat assessment format.

    A ``Column`` *is* its name (a ``str``), so a list of columns can be passed wherever column names
    are expected, and it carries ``dtype`` (``str``, ``int``, ``date``, ``flag``), ``kind`` (``core``,
    ``indicator``, ``factor``), ``code_list`` (the list its values come from, if any; ``country`` for
    ISO 3166-1 alpha-2 codes), ``required`` and ``description``.
    """

    dtype: str
    kind: str
    code_list: str | None
    required: bool
    description: str

    def __new__(
        cls,
        name: str,
        *,
        dtype: str,
        kind: str = "core",
        code_list: str | None = None,
        required: bool = False,
        description: str = "",
    ) -> Column:
        obj = super().__new__(cls, name)
        obj.dtype = dtype
        obj.kind = kind
        obj.code_list = code_list
        obj.required = required
        obj.description = description
        return obj

    @property
    def name(self) -> str:
        """The column name as a plain ``str``."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"Column({self.name!r}, dtype={self.dtype!r}, kind={self.kind!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (str, (self.name,))
