"""Scenario files: loading, inheritance and strict validation.

A scenario is a YAML mapping (see ``scenarios/romania.yaml`` for every key, documented). A
scenario may start with ``extends: <name or path>``: its keys are merged into the parent's —
fixed-structure sections merge key by key, while keyed collections (``origins``, ``channels``,
distributions, ``agencies``, ``effects`` ...) are replaced as a whole so that a child never
inherits half a distribution.

Validation collects *every* problem before refusing: an unknown key, a probability outside
[0, 1], a distribution that does not sum to one, an unknown country, language or code, a negative
size. Each problem names the dotted key (``origins.NP.share``) and the reason.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from lantern.errors import LanternError, Problem
from lantern.simulate.stdview import StandardView, standard_view

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"

#: romanisation systems available per script (see ``data/romanisation.yaml``)
SCRIPTS = ("cyrillic", "arabic", "brahmic", "ethiopic", "latin")
SUM_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- schema primitives
# A schema node is a callable check(value, path, ctx) -> cleaned value, appending Problems to ctx.


@dataclass
class _Ctx:
    std: StandardView
    record: str
    problems: list[Problem] = field(default_factory=list)
    channels: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()

    def bad(self, path: str, reason: str) -> None:
        self.problems.append(Problem(reason=reason, field=path, record=self.record))


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _prob(v, path, ctx):
    if not _num(v):
        ctx.bad(path, f"must be a probability (a number in [0, 1]), got {v!r}")
        return 0.0
    if not 0.0 <= v <= 1.0:
        ctx.bad(path, f"probability {v} is outside [0, 1]")
    return float(v)


def _float(v, path, ctx):
    if not _num(v):
        ctx.bad(path, f"must be a number, got {v!r}")
        return 0.0
    return float(v)


def _nonneg(v, path, ctx):
    if not _num(v):
        ctx.bad(path, f"must be a non-negative number, got {v!r}")
        return 0.0
    if v < 0:
        ctx.bad(path, f"must not be negative, got {v}")
    return float(v)


def _positive(v, path, ctx):
    if not _num(v) or v <= 0:
        ctx.bad(path, f"must be a positive number, got {v!r}")
        return 1.0
    return float(v)


def _str(v, path, ctx):
    if not isinstance(v, str) or not v.strip():
        ctx.bad(path, f"must be a non-empty text, got {v!r}")
        return ""
    return v


def _bool(v, path, ctx):
    if not isinstance(v, bool):
        ctx.bad(path, f"must be true or false, got {v!r}")
        return False
    return v


def _date(v, path, ctx):
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        ctx.bad(path, f"must be an ISO 8601 date (YYYY-MM-DD), got {v!r}")
        return dt.date(2000, 1, 1)


def _country_ok(code: str) -> bool:
    import pycountry

    return isinstance(code, str) and len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def _language_ok(code: str) -> bool:
    import pycountry

    if not isinstance(code, str) or code != code.lower():
        return False
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code) is not None
    if len(code) == 3:
        return pycountry.languages.get(alpha_3=code) is not None
    return False


def _country(v, path, ctx):
    if not _country_ok(v):
        ctx.bad(path, f"unknown country code {v!r} (use ISO 3166-1 alpha-2, e.g. 'NP')")
    return v


def _key_country(k, path, ctx):
    if not _country_ok(k):
        ctx.bad(path, f"unknown country code {k!r} (use ISO 3166-1 alpha-2, e.g. 'NP')")


def _key_language(k, path, ctx):
    if not _language_ok(k):
        ctx.bad(path, f"unknown language code {k!r} (use ISO 639-1 or 639-3, e.g. 'ne', 'fil')")


def _key_code(list_name: str):
    def check(k, path, ctx):
        if k not in ctx.std.codes(list_name):
            ctx.bad(path, f"unknown {list_name} code {k!r}; the standard allows: {', '.join(ctx.std.codes(list_name))}")

    return check


def _key_factor(k, path, ctx):
    if k not in ctx.std.factor_ids:
        ctx.bad(path, f"unknown vulnerability factor id {k!r} (see the data standard's factors)")


def _key_dimension(k, path, ctx):
    if k not in {d for d, _ in ctx.std.dimensions}:
        ctx.bad(path, f"unknown indicator dimension {k!r}")


def _key_grade(k, path, ctx):
    if k not in ("strong", "medium", "weak"):
        ctx.bad(path, f"unknown grade {k!r} (strong, medium or weak)")


def _key_channel(k, path, ctx):
    if k not in ctx.channels:
        ctx.bad(path, f"unknown channel {k!r}; the scenario defines: {', '.join(ctx.channels)}")


def _key_agency(k, path, ctx):
    if k not in ctx.agencies:
        ctx.bad(path, f"unknown agency list {k!r}; the scenario defines: {', '.join(ctx.agencies)}")


def _key_name(k, path, ctx):
    if not isinstance(k, str) or not k.replace("_", "").replace("-", "").isalnum() or not k[:1].isalpha():
        ctx.bad(path, f"name {k!r} must start with a letter and use only letters, digits, '_' and '-'")


def _mapping(v, path, ctx) -> dict | None:
    if not isinstance(v, dict):
        ctx.bad(path, f"must be a mapping, got {type(v).__name__}")
        return None
    return v


def dist(key_check: Callable) -> Callable:
    """A categorical distribution: key -> probability, summing to one."""

    def check(v, path, ctx):
        m = _mapping(v, path, ctx)
        if m is None:
            return {}
        if not m:
            ctx.bad(path, "must list at least one category")
            return {}
        out = {}
        for k, p in m.items():
            key_check(k, f"{path}.{k}", ctx)
            out[k] = _prob(p, f"{path}.{k}", ctx)
        total = sum(out.values())
        if abs(total - 1.0) > SUM_TOLERANCE:
            ctx.bad(path, f"probabilities must sum to 1, they sum to {total:.6g}")
        return out

    return check


def mapping(key_check: Callable, value: Callable) -> Callable:
    def check(v, path, ctx):
        m = _mapping(v, path, ctx)
        if m is None:
            return {}
        out = {}
        for k, x in m.items():
            key_check(k, f"{path}.{k}", ctx)
            out[k] = value(x, f"{path}.{k}", ctx)
        return out

    return check


def listof(item: Callable, *, min_len: int = 0) -> Callable:
    def check(v, path, ctx):
        if not isinstance(v, list):
            ctx.bad(path, f"must be a list, got {type(v).__name__}")
            return []
        if len(v) < min_len:
            ctx.bad(path, f"must have at least {min_len} item(s)")
        return [item(x, f"{path}[{i}]", ctx) for i, x in enumerate(v)]

    return check


_REQUIRED = object()


def struct(fields: dict[str, tuple[Callable, Any]]) -> Callable:
    """A fixed set of keys; (check, default) per key, default ``_REQUIRED`` when mandatory."""

    def check(v, path, ctx):
        m = _mapping(v, path, ctx)
        if m is None:
            m = {}
        out = {}
        for k in m:
            if k not in fields:
                where = f"{path}.{k}" if path else str(k)
                ctx.bad(where, f"unknown key {k!r}; allowed here: {', '.join(fields)}")
        for k, (sub, default) in fields.items():
            where = f"{path}.{k}" if path else k
            if k in m and m[k] is None and default is None:
                out[k] = None  # an optional key written out as null
            elif k in m:
                out[k] = sub(m[k], where, ctx)
            elif default is _REQUIRED:
                ctx.bad(where, "is required")
            elif isinstance(default, dict):
                out[k] = sub(copy.deepcopy(default), where, ctx)  # fill a section's own defaults
            else:
                out[k] = copy.deepcopy(default)
        return out

    return check


def _facilitator(v, path, ctx):
    return dist(_key_code("facilitator_type"))(v, path, ctx)


_LEG = struct({
    "to": (_country, _REQUIRED),
    "mode": (lambda v, p, c: (_key_code("leg_mode")(v, p, c), v)[1], _REQUIRED),
    "crossing": (_str, None),
    "stay_days": (_nonneg, 0.0),
    "facilitator": (_facilitator, {"none": 1.0}),
})

_ROUTE = struct({
    "weight": (_nonneg, _REQUIRED),
    "origins": (listof(_country), None),
    "legs": (listof(_LEG, min_len=1), _REQUIRED),
})

_ORIGIN = struct({
    "share": (_prob, _REQUIRED),
    "female": (_prob, _REQUIRED),
    "age": (struct({"mean": (_positive, _REQUIRED), "sd": (_positive, _REQUIRED)}), _REQUIRED),
    "languages": (dist(_key_language), _REQUIRED),
    "channels": (dist(_key_channel), _REQUIRED),
    "education": (dist(_key_code("education")), _REQUIRED),
    "speaks_local": (_prob, _REQUIRED),
    "speaks_english": (_prob, 0.3),
    "conflict": (_prob, 0.0),
    "poverty": (_prob, 0.5),
})

_CHANNEL = struct({
    "legal_status": (dist(_key_code("legal_status")), _REQUIRED),
    "overstay": (_prob, 0.0),
    "recruitment_fees": (_prob, 0.0),
    "tied_permit": (_prob, 0.0),
    "support_network": (_prob, 0.5),
    "onward": (_prob, 0.0),
    "employed": (_prob, 1.0),
    "routes": (listof(_ROUTE, min_len=1), _REQUIRED),
})

_NOISE_KEYS = (
    "typo", "swap_order", "middle_dropped", "given_missing", "family_missing", "uppercase", "dob_missing", "dob_jan1",
    "dob_swap", "sex_missing", "citizenship_missing", "duplicate",
)
_NOISE = struct({k: (_prob, 0.0) for k in _NOISE_KEYS})


def _romanisation(v, path, ctx):
    from lantern.simulate.names import systems_for_script

    m = _mapping(v, path, ctx) or {}
    out = {}
    for k, s in m.items():
        if k not in SCRIPTS:
            ctx.bad(f"{path}.{k}", f"unknown script {k!r}; allowed: {', '.join(SCRIPTS)}")
            continue
        allowed = systems_for_script(k)
        if s not in allowed:
            ctx.bad(f"{path}.{k}", f"unknown romanisation system {s!r} for {k}; allowed: {', '.join(allowed)}")
        out[k] = s
    for k in SCRIPTS:
        out.setdefault(k, systems_for_script(k)[0])
    return out


def _effect_key(k, path, ctx):
    if k in ("exploited", "female", "minor", "onward"):
        return
    kind, _, code = str(k).partition(":")
    if code:
        if kind == "channel":
            return _key_channel(code, path, ctx)
        if kind == "form":
            return _key_code("exploitation_form")(code, path, ctx)
        if kind == "sector":
            return _key_code("sector")(code, path, ctx)
        if kind == "citizenship":
            return _key_country(code, path, ctx)
    if k in ctx.std.factor_ids:
        return
    ctx.bad(path, f"unknown capture covariate {k!r}; use exploited, female, minor, onward, "
                  "channel:<channel>, form:<form>, sector:<sector>, citizenship:<country> or a factor id")


def _timing(v, path, ctx):
    if v not in ("entry", "stay"):
        ctx.bad(path, f"must be 'entry' or 'stay', got {v!r}")
    return v


_AGENCY = struct({
    "label": (_str, None),
    "base_rate": (_prob, _REQUIRED),
    "timing": (_timing, "stay"),
    "interviews": (_bool, False),
    "country": (_country, None),
    "regions": (listof(_str, min_len=1), ["national"]),
    "effects": (mapping(_effect_key, _float), {}),
    "referrals": (mapping(_key_agency, _float), {}),
    "romanisation": (_romanisation, {}),
    "noise": (_NOISE, {}),
    "interview_noise": (struct({"yes_if_true": (_prob, None), "yes_if_false": (_prob, None), "unknown": (_prob, None)}), {}),
    # P(an exploited person this agency interviews is recorded as formally identified); None = interviews'
    "identified_if_exploited": (_prob, None),
})

_GRADES = mapping(_key_grade, _prob)
_DIMS = mapping(_key_dimension, _prob)

_SCHEMA = struct({
    "name": (_str, _REQUIRED),
    "description": (_str, ""),
    "source": (_str, "none"),
    "calibrated": (_bool, False),
    "extends": (_str, None),
    "destination": (_country, _REQUIRED),
    "destination_language": (lambda v, p, c: (_key_language(v, p, c), v)[1], _REQUIRED),
    "period": (struct({"start": (_date, _REQUIRED), "end": (_date, _REQUIRED)}), _REQUIRED),
    "origins": (mapping(_key_country, _ORIGIN), _REQUIRED),
    "channels": (mapping(_key_name, _CHANNEL), _REQUIRED),
    "onward": (struct({
        "destinations": (dist(_key_country), _REQUIRED),
        "modes": (dist(_key_code("leg_mode")), _REQUIRED),
        "crossings": (mapping(_key_code("leg_mode"), listof(_str, min_len=1)), {}),
        "crossings_to": (mapping(_key_country, listof(_str, min_len=1)), {}),
        "facilitator": (_facilitator, {"none": 1.0}),
        "after_days": (_positive, 150.0),
    }), _REQUIRED),
    "people": (struct({
        "literacy_low": (mapping(_key_code("education"), _prob), {}),
        "debt_if_fees": (_prob, 0.8),
        "debt_otherwise": (_prob, 0.15),
        "minors": (_prob, 0.0),
        "family_situation": (dist(_key_code("family_situation")), {"single": 0.45, "partnered": 0.45, "separated": 0.07, "widowed": 0.03}),
        "minors_unaccompanied": (_prob, 0.6),
        "work_sectors": (dist(_key_code("sector")), _REQUIRED),
    }), _REQUIRED),
    "factors": (struct({
        "precarity_from": (mapping(_key_factor, _float), {}),
        "base": (mapping(_key_factor, _prob), {}),
        "loading": (mapping(_key_factor, _float), {}),
    }), {}),
    "exploitation": (struct({
        "prevalence": (_prob, _REQUIRED),
        "noise_sd": (_nonneg, 0.8),
        "default_weight": (_float, 0.3),
        "weights": (mapping(_key_factor, _float), {}),
        "forms": (mapping(_key_code("sex"), dist(_key_code("exploitation_form"))), _REQUIRED),
        "sectors": (mapping(_key_code("exploitation_form"), dist(_key_code("sector"))), _REQUIRED),
        "in_onward_country": (_prob, 0.5),
    }), _REQUIRED),
    "indicators": (struct({
        "exploited": (struct({"dimensions": (_DIMS, _REQUIRED), "grades": (_GRADES, _REQUIRED)}), _REQUIRED),
        "not_exploited": (struct({"dimensions": (_DIMS, _REQUIRED), "grades": (_GRADES, _REQUIRED)}), _REQUIRED),
        "risk_effect": (_float, 0.5),
    }), _REQUIRED),
    "interviews": (struct({
        "yes_if_true": (_prob, 0.7),
        "yes_if_false": (_prob, 0.02),
        "unknown": (_prob, 0.15),
        "disclosure": (_prob, 1.0),
        "yes_if_true_withheld": (_prob, 0.1),
        "age_unknown": (_prob, 0.03),
        "form_recorded": (_prob, 0.6),
        # formal identification under the national referral mechanism (standard: identified_victim)
        "identified_if_exploited": (_prob, 0.3),
        "identified_if_not_exploited": (_prob, 0.0),
        "identification_unknown": (_prob, 0.1),
    }), {}),
    "lists": (struct({
        "dependence": (_nonneg, 1.0),
        "heterogeneity": (_nonneg, 1.0),
        "agencies": (mapping(_key_name, _AGENCY), _REQUIRED),
    }), _REQUIRED),
})

# sections whose value is a keyed collection: replaced as a whole by a child scenario
_REPLACE = {
    "origins", "channels", "destinations", "modes", "crossings", "crossings_to", "facilitator", "work_sectors",
    "literacy_low", "base", "loading", "precarity_from", "weights", "forms", "sectors", "dimensions",
    "grades", "effects", "referrals", "romanisation", "regions", "languages", "education",
    "legal_status", "routes",
}


def _merge(parent: dict, child: dict) -> dict:
    out = copy.deepcopy(parent)
    for k, v in child.items():
        if v is None and isinstance(parent.get(k), dict):
            out.pop(k, None)  # `key: null` in a child removes an inherited entry (e.g. an agency)
        elif k in out and isinstance(out[k], dict) and isinstance(v, dict) and k not in _REPLACE:
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


# --------------------------------------------------------------------------- the Scenario object


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. ``data`` holds the full, merged, cleaned mapping."""

    data: dict
    origin_path: str

    @property
    def name(self) -> str:
        return self.data["name"]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def with_overrides(self, overrides: dict) -> Scenario:
        """A new validated scenario with ``overrides`` merged in (same rules as ``extends``)."""
        return _validate(_merge(self.data_for_yaml(), overrides), record=f"{self.origin_path} (with overrides)")

    def data_for_yaml(self) -> dict:
        d = copy.deepcopy(self.data)
        d.pop("extends", None)
        d["period"] = {k: v.isoformat() for k, v in d["period"].items()}
        return d

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.data_for_yaml(), sort_keys=False, allow_unicode=True)


def _validate(raw: dict, *, record: str) -> Scenario:
    std = standard_view()
    ctx = _Ctx(std=std, record=record)
    if not isinstance(raw, dict):
        raise LanternError("a scenario must be a YAML mapping", record=record)
    channels = raw.get("channels")
    ctx.channels = tuple(channels) if isinstance(channels, dict) else ()
    lists = raw.get("lists")
    agencies = lists.get("agencies") if isinstance(lists, dict) else None
    ctx.agencies = tuple(agencies) if isinstance(agencies, dict) else ()
    data = _SCHEMA(raw, "", ctx)
    shares = [o.get("share", 0.0) for o in data.get("origins", {}).values() if isinstance(o, dict)]
    if shares and abs(sum(shares) - 1.0) > SUM_TOLERANCE:
        ctx.bad("origins", f"origin shares must sum to 1, they sum to {sum(shares):.6g}")
    if not ctx.problems:
        _cross_checks(data, ctx)
    if ctx.problems:
        raise LanternError(ctx.problems)
    return Scenario(data=data, origin_path=record)


def _cross_checks(d: dict, ctx: _Ctx) -> None:
    if d["period"]["end"] < d["period"]["start"]:
        ctx.bad("period.end", "the period ends before it starts")
    if not d["origins"]:
        ctx.bad("origins", "must list at least one origin country")
    if not d["lists"]["agencies"]:
        ctx.bad("lists.agencies", "must list at least one agency")
    from lantern.simulate.names import pool_languages

    have = pool_languages()
    for cc, o in d["origins"].items():
        for lang in o["languages"]:
            if lang not in have:
                ctx.bad(f"origins.{cc}.languages.{lang}",
                        f"no name pool for language {lang!r}; available: {', '.join(sorted(have))}")
        for ch, p in o["channels"].items():
            if p <= 0:
                continue
            routes = d["channels"][ch]["routes"]
            ok = any(r["weight"] > 0 and (r["origins"] is None or cc in r["origins"]) for r in routes)
            if not ok:
                ctx.bad(f"channels.{ch}.routes", f"no route with positive weight serves origin {cc}")
    for ch, c in d["channels"].items():
        for i, r in enumerate(c["routes"]):
            if r["legs"][-1]["to"] != d["destination"]:
                ctx.bad(f"channels.{ch}.routes[{i}].legs", f"the last leg must reach the destination {d['destination']}")
    sexes = set(ctx.std.codes("sex"))
    for s in ("female", "male"):
        if s in sexes and s not in d["exploitation"]["forms"]:
            ctx.bad(f"exploitation.forms.{s}", "is required (a form distribution for each sex)")
    forms = {f for dd in d["exploitation"]["forms"].values() for f in dd}
    for f in sorted(forms - set(d["exploitation"]["sectors"])):
        ctx.bad(f"exploitation.sectors.{f}", f"a sector distribution is required for form {f!r}")
    for name, a in d["lists"]["agencies"].items():
        order = list(d["lists"]["agencies"])
        for src in a["referrals"]:
            if src in order and order.index(src) >= order.index(name):
                ctx.bad(f"lists.agencies.{name}.referrals.{src}",
                        "referrals may only come from a list defined earlier (lists are filled in order)")
        if a["country"] is None:
            a["country"] = d["destination"]
    iv = d["interviews"]
    _sum_at_most_one(ctx, "interviews", iv, ("yes_if_true", "unknown"))
    _sum_at_most_one(ctx, "interviews", iv, ("yes_if_false", "unknown"))
    _sum_at_most_one(ctx, "interviews", iv, ("identified_if_exploited", "identification_unknown"))
    _sum_at_most_one(ctx, "interviews", iv, ("identified_if_not_exploited", "identification_unknown"))
    for name, a in d["lists"]["agencies"].items():
        _sum_at_most_one(ctx, f"lists.agencies.{name}.noise", a["noise"], ("dob_missing", "dob_jan1", "dob_swap"))
        merged = {k: (a["interview_noise"].get(k) if a["interview_noise"].get(k) is not None else iv[k])
                  for k in ("yes_if_true", "yes_if_false", "unknown")}
        _sum_at_most_one(ctx, f"lists.agencies.{name}.interview_noise", merged, ("yes_if_true", "unknown"))
        _sum_at_most_one(ctx, f"lists.agencies.{name}.interview_noise", merged, ("yes_if_false", "unknown"))
        if a["identified_if_exploited"] is not None:
            _sum_at_most_one(ctx, f"lists.agencies.{name}",
                             {"identified_if_exploited": a["identified_if_exploited"],
                              "interviews.identification_unknown": iv["identification_unknown"]},
                             ("identified_if_exploited", "interviews.identification_unknown"))
    for lvl in ("exploited", "not_exploited"):
        for dim, _ in ctx.std.dimensions:
            if dim not in d["indicators"][lvl]["dimensions"]:
                ctx.bad(f"indicators.{lvl}.dimensions.{dim}", "is required (one probability per dimension)")
        for g in ("strong", "medium", "weak"):
            if g not in d["indicators"][lvl]["grades"]:
                ctx.bad(f"indicators.{lvl}.grades.{g}", "is required")


def _sum_at_most_one(ctx: _Ctx, path: str, values: dict, keys: tuple[str, ...]) -> None:
    """Exclusive outcomes drawn from one uniform number cannot have probabilities summing above 1."""
    total = sum(values[k] for k in keys)
    if total > 1.0 + SUM_TOLERANCE:
        ctx.bad(path, f"{' + '.join(keys)} must not exceed 1 (they are exclusive outcomes), they sum to {total:.6g}")


def _read_yaml(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LanternError("scenario file not found", record=str(path)) from exc
    except yaml.YAMLError as exc:
        raise LanternError(f"not valid YAML: {exc}", record=str(path)) from exc
    if not isinstance(raw, dict):
        raise LanternError("a scenario must be a YAML mapping", record=str(path))
    return raw


def _resolve(name_or_path: str | Path, seen: tuple[str, ...] = ()) -> tuple[dict, str]:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        path = p
    else:
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise LanternError(
                f"unknown scenario {name_or_path!r}; built-in scenarios: {', '.join(builtin_scenarios())}",
                field="scenario",
            )
    key = str(path.resolve())
    if key in seen:
        raise LanternError("scenario inheritance loops back on itself", field="extends", record=str(path))
    raw = _read_yaml(path)
    parent = raw.get("extends")
    if parent:
        base = path.parent / parent if (path.parent / str(parent)).exists() else parent
        parent_raw, _ = _resolve(base, (*seen, key))
        raw = _merge(parent_raw, {k: v for k, v in raw.items() if k != "extends"})
    return raw, str(path)


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped with Lantern."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


@lru_cache(maxsize=16)
def _load_cached(key: str) -> Scenario:
    raw, where = _resolve(key)
    return _validate(raw, record=where)


def load_scenario(scenario: str | Path | dict | Scenario = "romania") -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    scenario : str, Path, dict or Scenario
        A built-in name (``romania``), a path to a YAML file, a mapping (validated as is, may
        use ``extends``), or an already validated :class:`Scenario`.

    Raises
    ------
    LanternError
        With one problem per invalid key, naming the dotted key and the reason.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        raw = dict(scenario)
        parent = raw.pop("extends", None)
        if parent:
            parent_raw, _ = _resolve(parent)
            raw = _merge(parent_raw, raw)
        return _validate(raw, record="scenario")
    key = str(scenario)
    if Path(key).exists() or key.endswith((".yaml", ".yml")):
        raw, where = _resolve(key)  # files are re-read every time: they may change
        return _validate(raw, record=where)
    cached = _load_cached(key)
    return Scenario(data=copy.deepcopy(cached.data), origin_path=cached.origin_path)  # callers may mutate
