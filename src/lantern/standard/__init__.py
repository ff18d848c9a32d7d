"""The Lantern data standard: versioned YAML and its loader, validation and exports.

>>> from lantern.standard import load_standard
>>> std = load_standard()
>>> std.version
'1.0'

Everything the platform asks, scores, exports or publishes is generated from this standard: the
ILO–EC operational indicators of trafficking, the IOM determinants-of-vulnerability factors, the
operational definitions, the code lists, the countries and languages (ISO 3166 / ISO 639 through
pycountry), the intake questionnaire and the mappings to CTDC and Eurostat. See ``docs/standard.md``.

This package is part of the analytic core and imports no Django.
"""

from lantern.standard.core import Standard, load_standard
from lantern.standard.model import (
    GRADES,
    INDICATOR_LISTS,
    LABEL_LANGUAGES,
    Code,
    CodeList,
    Column,
    Country,
    Definition,
    Dimension,
    Factor,
    ForcedLabourIndicator,
    Indicator,
    ItemSet,
    Language,
)

__all__ = [
    "GRADES",
    "INDICATOR_LISTS",
    "LABEL_LANGUAGES",
    "Code",
    "CodeList",
    "Column",
    "Country",
    "Definition",
    "Dimension",
    "Factor",
    "ForcedLabourIndicator",
    "Indicator",
    "ItemSet",
    "Language",
    "Standard",
    "load_standard",
]
