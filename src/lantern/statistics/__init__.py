"""Harmonised statistics published without disclosing anyone (issue 7; recommendations 1.2-1.4).

* :mod:`~lantern.statistics.spec` — YAML table specifications;
* :mod:`~lantern.statistics.tables` — counts with DuckDB over the flat assessment format;
* :mod:`~lantern.statistics.sdc` — threshold, LP-audited secondary suppression, rounding;
* :mod:`~lantern.statistics.rates` — rates per 1,000 with Garwood intervals;
* :mod:`~lantern.statistics.combine` — comparison and EU aggregation of published national tables;
* :mod:`~lantern.statistics.export` — CSV, Excel, Eurostat crim_thb, CTDC k-anonymous microdata;
* :mod:`~lantern.statistics.dp` — OpenDP counts with a privacy-budget ledger;
* :mod:`~lantern.statistics.release` — draft → checked → published;
* :mod:`~lantern.statistics.sources` — data-source suitability report.

The analytic core: no Django here.
"""

from lantern.statistics.sdc import SDCRules, protect_array
from lantern.statistics.spec import Spec, TableSpec, load_spec, parse_spec
from lantern.statistics.tables import Dataset, StatTable, compute_tables, tables_frame

__all__ = [
    "Dataset",
    "SDCRules",
    "Spec",
    "StatTable",
    "TableSpec",
    "compute_tables",
    "load_spec",
    "parse_spec",
    "protect_array",
    "tables_frame",
]
