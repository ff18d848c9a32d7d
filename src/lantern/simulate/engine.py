"""The generative model: people → journeys → exploitation → agency lists → interviews.

Every stage is vectorised over people (numpy / polars); loops run over the few categories of a
scenario (origins, channels, routes, agencies), never over people, except the keyboard typos that
touch a few percent of list records. Each stage draws from its own generator spawned from one
``numpy.random.SeedSequence(seed)``, so the same seed gives the same world, and changing one stage
does not shift the random numbers of the others.

See ``docs/simulation.md`` for the model, its parameters and what it is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl
from scipy.optimize import brentq
from scipy.special import expit, logit

from lantern.errors import LanternError
from lantern.simulate.names import apply_typos, load_pools, scholarly_latin
from lantern.simulate.scenario import Scenario, load_scenario
from lantern.simulate.stdview import StandardView, standard_view
from lantern.simulate.world import World

EPOCH = dt.date(1970, 1, 1)
STAGES = ("people", "journeys", "exploitation", "lists", "interviews")
Progress = Callable[[str, int, int], None]


def _days(d: dt.date) -> int:
    return (d - EPOCH).days


def _choice(rng: np.random.Generator, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Draw one category per row from the row of ``probs`` selected by ``group``."""
    u: np.ndarray = np.asarray(rng.random(group.shape[0]))
    out = np.zeros(group.shape[0], dtype=np.int32)
    cum = np.asarray(np.cumsum(probs, axis=1), dtype=np.float64)
    cum[:, -1] = 1.0 + 1e-12
    for g in range(probs.shape[0]):
        mask = group == g
        if mask.any():
            row: np.ndarray = cum[g]
            out[mask] = row.searchsorted(u[mask], side="right")
    return np.minimum(out, probs.shape[1] - 1)


def _dist_matrix(dists: list[dict], categories: list[str]) -> np.ndarray:
    m = np.zeros((len(dists), len(categories)))
    pos = {c: i for i, c in enumerate(categories)}
    for r, d in enumerate(dists):
        for k, p in d.items():
            m[r, pos[k]] = p
    return m


def _ordered_union(dists) -> list[str]:
    seen: dict[str, None] = {}
    for d in dists:
        for k in d:
            seen.setdefault(k, None)
    return list(seen)


def _date_series(name: str, days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(name, days.astype(np.int32)).cast(pl.Date)
    if valid is not None:
        s = pl.select(pl.when(pl.Series(valid)).then(s).otherwise(None).alias(name)).to_series()
    return s


class _Vocab:
    """Strings as small integer codes (-1 = null); columns are built by one gather, not per row."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._pos: dict[str, int] = {}

    def code(self, value: str | None) -> int:
        if value is None:
            return -1
        if value not in self._pos:
            self._pos[value] = len(self.items)
            self.items.append(value)
        return self._pos[value]

    def series(self, name: str, codes: np.ndarray) -> pl.Series:
        return _coded(name, self.items, codes)


def _coded(name: str, categories, codes: np.ndarray) -> pl.Series:
    """Column ``name`` = ``categories[codes]`` with code -1 as null."""
    cats = pl.Series(name, list(categories) or [""], dtype=pl.String)
    codes = np.asarray(codes)
    valid = codes >= 0
    out = cats.gather(np.where(valid, codes, 0).astype(np.int64))
    if not valid.all():
        out = pl.select(pl.when(pl.Series(valid)).then(out).otherwise(None).alias(name)).to_series()
    return out


def _with_nulls(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """An object array with None where ``valid`` is false."""
    out = values.astype(object)
    out[~valid] = None
    return out


def _S(name: str, values) -> pl.Series:
    """A string column from a numpy object array (None = null)."""
    try:
        return pl.Series(name, values, dtype=pl.String)
    except Exception:  # noqa: BLE001 - numpy str scalars inside an object array
        return pl.Series(name, np.asarray(values, dtype=object).tolist(), dtype=pl.String)


# --------------------------------------------------------------------------- people


def _people(sc: Scenario, std: StandardView, n: int, rng: np.random.Generator) -> dict:
    d = sc.data
    origins = list(d["origins"])
    orig_specs = [d["origins"][o] for o in origins]
    start, end = _days(d["period"]["start"]), _days(d["period"]["end"])
    cit = _choice(rng, np.zeros(n, dtype=np.int32), np.array([[o["share"] for o in orig_specs]]))
    female = rng.random(n) < np.array([o["female"] for o in orig_specs])[cit]
    minor = rng.random(n) < d["people"]["minors"]
    age = rng.normal(np.array([o["age"]["mean"] for o in orig_specs])[cit], np.array([o["age"]["sd"] for o in orig_specs])[cit])
    age = np.clip(age, 18.0, 75.0)
    age = np.where(minor, 14.0 + 3.999 * rng.random(n), age)
    entry = start + np.floor(rng.random(n) * (end - start + 1)).astype(np.int64)
    birth = entry - np.ceil(age * 365.25).astype(np.int64)
    age_years = np.floor((entry - birth) / 365.25).astype(np.int32)

    langs = _ordered_union(o["languages"] for o in orig_specs)
    lang = _choice(rng, cit, _dist_matrix([o["languages"] for o in orig_specs], langs))
    channels = list(d["channels"])
    ch = _choice(rng, cit, _dist_matrix([o["channels"] for o in orig_specs], channels))
    edu_codes = list(std.codes("education"))
    edu = _choice(rng, cit, _dist_matrix([o["education"] for o in orig_specs], edu_codes))

    local = d["destination_language"]
    native_local = np.array([lg == local for lg in langs])[lang]
    speaks_local = native_local | (rng.random(n) < np.array([o["speaks_local"] for o in orig_specs])[cit])
    speaks_en = rng.random(n) < np.array([o["speaks_english"] for o in orig_specs])[cit]

    C = [d["channels"][c] for c in channels]
    statuses = _ordered_union(c["legal_status"] for c in C)
    st = _choice(rng, ch, _dist_matrix([c["legal_status"] for c in C], statuses))
    status = np.asarray(statuses, dtype=object)[st]
    if "irregular" in std.codes("legal_status"):
        overstay = rng.random(n) < np.array([c["overstay"] for c in C])[ch]
        status = np.where(overstay, "irregular", status)
    fees = rng.random(n) < np.array([c["recruitment_fees"] for c in C])[ch]
    tied = (rng.random(n) < np.array([c["tied_permit"] for c in C])[ch]) & (status == "work_permit")
    support = rng.random(n) < np.array([c["support_network"] for c in C])[ch]
    debt = rng.random(n) < np.where(fees, d["people"]["debt_if_fees"], d["people"]["debt_otherwise"])
    lit = d["people"]["literacy_low"]
    low_lit = rng.random(n) < np.array([lit.get(e, 0.0) for e in edu_codes])[edu]
    conflict = rng.random(n) < np.array([o["conflict"] for o in orig_specs])[cit]
    poverty = rng.random(n) < np.array([o["poverty"] for o in orig_specs])[cit]
    irregular = status == "irregular"
    fam_codes = list(d["people"]["family_situation"])
    fam = np.asarray(fam_codes, dtype=object)[
        _choice(rng, np.zeros(n, np.int32), np.array([[d["people"]["family_situation"][c] for c in fam_codes]]))]
    unacc = rng.random(n) < d["people"]["minors_unaccompanied"]
    fam = np.where(minor, np.where(unacc, "unaccompanied_minor", "separated_minor"), fam)
    native = np.asarray(langs, dtype=object)[lang]
    spoken = native.copy()
    spoken = np.where(speaks_local & ~native_local, spoken + ";" + local, spoken)
    spoken = np.where(speaks_en & (native != "en"), spoken + ";en", spoken)

    derived = {
        "individual.minor": minor,
        "individual.language_barrier": ~speaks_local,
        "individual.speaks_local_language": speaks_local,
        "individual.low_literacy": low_lit,
        "individual.no_formal_education": np.asarray(edu_codes, dtype=object)[edu] == "none",
        "individual.irregular_status": irregular,
        "individual.valid_work_permit": status == "work_permit",
        "individual.debt": debt,
        "structural.recruitment_fees": fees,
        "structural.tied_permit": tied,
        "structural.regular_pathway": ~fees & ~irregular & (status != "asylum_seeker"),
        "structural.conflict_origin": conflict,
        "structural.poverty_origin": poverty,
        "community.no_support_network": ~support,
    }
    derived = {k: v for k, v in derived.items() if v is not None and k in std.factor_ids}
    fp = d["factors"]
    z = rng.standard_normal(n)
    for f, coef in fp["precarity_from"].items():
        if f in derived:
            z = z + coef * derived[f]
    z = z - z.mean()
    factors: dict[str, np.ndarray] = {}
    for fid, _level, kind in std.factors:
        if fid in derived:
            factors[fid] = derived[fid]
            continue
        base = fp["base"].get(fid, 0.10)
        load = fp["loading"].get(fid, 0.5 if kind == "risk" else -0.5)
        p = expit(logit(np.clip(base, 1e-6, 1 - 1e-6)) + load * z)
        factors[fid] = rng.random(n) < p
    if "individual.holds_own_documents" in factors and "individual.no_documents" in factors:
        factors["individual.holds_own_documents"] = ~factors["individual.no_documents"]
    if "individual.savings" in factors and "individual.no_resources" in factors:
        factors["individual.savings"] = factors["individual.savings"] & ~factors["individual.no_resources"]
    if "household.separated_from_family" in factors:
        factors["household.separated_from_family"] = factors["household.separated_from_family"] | (fam == "unaccompanied_minor")
    if "household.child_headed" in factors:
        factors["household.child_headed"] = factors["household.child_headed"] & minor

    return {
        "origins": origins, "cit": cit, "female": female, "minor": minor, "birth": birth,
        "age": age_years, "entry": entry, "langs": langs, "lang": lang, "channels": channels, "ch": ch,
        "edu_codes": edu_codes, "edu": edu, "speaks_local": speaks_local, "speaks_en": speaks_en,
        "status": status, "precarity": z, "factors": factors, "family": fam, "spoken": spoken,
    }


# --------------------------------------------------------------------------- journeys


def _journeys(sc: Scenario, std: StandardView, P: dict, rng: np.random.Generator) -> tuple[pl.DataFrame, dict]:
    d = sc.data
    n = P["cit"].shape[0]
    dest = d["destination"]
    end = _days(d["period"]["end"])
    origins, channels = P["origins"], P["channels"]
    routes: list[tuple[int, dict]] = []  # (channel index, route)
    for ci, c in enumerate(channels):
        for r in d["channels"][c]["routes"]:
            routes.append((ci, r))
    W = np.zeros((len(origins) * len(channels), len(routes)))
    for k, o in enumerate(origins):
        for ci in range(len(channels)):
            for j, (rc, r) in enumerate(routes):
                if rc == ci and (r["origins"] is None or o in r["origins"]):
                    W[k * len(channels) + ci, j] = r["weight"]
    sums = W.sum(axis=1, keepdims=True)
    W = np.divide(W, sums, out=np.zeros_like(W), where=sums > 0)
    W[sums[:, 0] == 0, 0] = 1.0  # combinations no one has (validated): any valid row
    route = _choice(rng, P["cit"] * len(channels) + P["ch"], W)

    V, M, X, F = _Vocab(), _Vocab(), _Vocab(), _Vocab()  # countries, modes, crossings, facilitators
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "pid", "leg_no", "from", "to", "entry", "exit", "mode", "crossing", "fac")}
    cross_at_entry = np.full(n, -1, dtype=np.int32)
    fac_at_entry = np.full(n, -1, dtype=np.int32)
    origin_c = np.array([V.code(o) for o in origins], dtype=np.int32)
    for j, (_ci, r) in enumerate(routes):
        idx = np.flatnonzero(route == j)
        if idx.size == 0:
            continue
        legs = r["legs"]
        L = len(legs)
        # dates backwards from the entry into the destination
        entries = np.zeros((idx.size, L), dtype=np.int64)
        entries[:, L - 1] = P["entry"][idx]
        for k in range(L - 2, -1, -1):
            stay = legs[k]["stay_days"]
            dur = np.ceil(rng.exponential(stay, idx.size)).astype(np.int64) if stay > 0 else np.zeros(idx.size, np.int64)
            entries[:, k] = entries[:, k + 1] - dur
        prev = origin_c[P["cit"][idx]]
        for k, leg in enumerate(legs):
            facs = list(leg["facilitator"])
            fi = _choice(rng, np.zeros(idx.size, np.int32), np.array([[leg["facilitator"][f] for f in facs]]))
            fac = np.array([F.code(f) for f in facs], dtype=np.int32)[fi]
            cross = X.code(leg["crossing"])
            cols["pid"].append(idx)
            cols["leg_no"].append(np.full(idx.size, k + 1, np.int16))
            cols["from"].append(prev)
            cols["to"].append(np.full(idx.size, V.code(leg["to"]), np.int32))
            cols["entry"].append(entries[:, k])
            cols["exit"].append(entries[:, k + 1] if k + 1 < L else np.full(idx.size, -1, np.int64))
            cols["mode"].append(np.full(idx.size, M.code(leg["mode"]), np.int32))
            cols["crossing"].append(np.full(idx.size, cross, np.int32))
            cols["fac"].append(fac)
            prev = np.full(idx.size, V.code(leg["to"]), np.int32)
            if k == L - 1:
                cross_at_entry[idx] = cross
                fac_at_entry[idx] = fac

    # onward movement to another member state
    ow = d["onward"]
    wants = rng.random(n) < np.array([d["channels"][c]["onward"] for c in channels])[P["ch"]]
    after = np.ceil(rng.exponential(ow["after_days"], n)).astype(np.int64) + 1
    onward_date = P["entry"] + after
    onward = wants & (onward_date <= end)
    dests = list(ow["destinations"])
    odest_i = _choice(rng, np.zeros(n, np.int32), np.array([[ow["destinations"][c] for c in dests]]))
    modes = list(ow["modes"])
    omode_i = _choice(rng, np.zeros(n, np.int32), np.array([[ow["modes"][m] for m in modes]]))
    facs = list(ow["facilitator"])
    ofac_i = _choice(rng, np.zeros(n, np.int32), np.array([[ow["facilitator"][f] for f in facs]]))
    ocross = np.full(n, -1, dtype=np.int32)
    u = rng.random(n)
    for mi, m in enumerate(modes):
        options = ow["crossings"].get(m)
        if options:
            sel = omode_i == mi
            opt_c = np.array([X.code(o) for o in options], dtype=np.int32)
            ocross[sel] = opt_c[np.minimum((u[sel] * len(options)).astype(int), len(options) - 1)]
    for c, options in ow["crossings_to"].items():
        # land crossings named for a destination country override the per-mode list
        sel = (np.asarray(dests, dtype=object)[odest_i] == c) & (np.asarray(modes, dtype=object)[omode_i] != "air")
        opt_c = np.array([X.code(o) for o in options], dtype=np.int32)
        ocross[sel] = opt_c[np.minimum((u[sel] * len(options)).astype(int), len(options) - 1)]
    oi = np.flatnonzero(onward)
    dest_c = V.code(dest)
    # the destination leg of movers gets its exit date
    for part_pid, part_exit, part_to in zip(cols["pid"], cols["exit"], cols["to"], strict=True):
        mask = (part_exit == -1) & onward[part_pid] & (part_to == dest_c)
        part_exit[mask] = onward_date[part_pid[mask]]
    n_legs = np.zeros(n, np.int16)
    for part_pid, part_no in zip(cols["pid"], cols["leg_no"], strict=True):
        np.maximum.at(n_legs, part_pid, part_no)
    dests_c = np.array([V.code(c) for c in dests], dtype=np.int32)
    cols["pid"].append(oi)
    cols["leg_no"].append(n_legs[oi] + 1)
    cols["from"].append(np.full(oi.size, dest_c, np.int32))
    cols["to"].append(dests_c[odest_i[oi]])
    cols["entry"].append(onward_date[oi])
    cols["exit"].append(np.full(oi.size, -1, np.int64))
    cols["mode"].append(np.array([M.code(m) for m in modes], dtype=np.int32)[omode_i[oi]])
    cols["crossing"].append(ocross[oi])
    cols["fac"].append(np.array([F.code(f) for f in facs], dtype=np.int32)[ofac_i[oi]])

    cat = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.lexsort((cat["leg_no"], cat["pid"]))
    cat = {k: v[order] for k, v in cat.items()}
    eu = np.array([c in std.eu for c in V.items], dtype=bool)
    journeys = pl.DataFrame([
        pl.Series("person_id", cat["pid"].astype(np.int64)),
        pl.Series("leg_no", cat["leg_no"].astype(np.int16)),
        V.series("from_country", cat["from"]),
        V.series("to_country", cat["to"]),
        _date_series("entry_date", cat["entry"]),
        _date_series("exit_date", np.where(cat["exit"] < 0, 0, cat["exit"]), cat["exit"] >= 0),
        M.series("mode", cat["mode"]),
        X.series("crossing_point", cat["crossing"]),
        F.series("facilitator_type", cat["fac"]),
        pl.Series("intra_eu", eu[cat["from"]] & eu[cat["to"]]),
    ])
    onward_c = np.where(onward, dests_c[odest_i], -1).astype(np.int32)
    extra = {
        "onward": onward, "onward_date": onward_date,
        "onward_country": np.where(onward, np.asarray(dests, dtype=object)[odest_i], None),
        "onward_country_s": V.series("onward_country", onward_c),
        "crossing_at_entry": cross_at_entry, "facilitator_at_entry": fac_at_entry, "crossings": X, "facilitators": F,
        "onward_crossing": np.where(onward, ocross, -1).astype(np.int32),
    }
    return journeys, extra


# --------------------------------------------------------------------------- exploitation


def _exploitation(sc: Scenario, std: StandardView, P: dict, J: dict, rng: np.random.Generator) -> dict:
    d = sc.data["exploitation"]
    n = P["cit"].shape[0]
    s = np.zeros(n)
    kinds = {f: k for f, _, k in std.factors}
    for f, x in P["factors"].items():
        w = d["weights"].get(f, d["default_weight"] if kinds[f] == "risk" else -d["default_weight"])
        s += w * x
    s += d["noise_sd"] * rng.standard_normal(n)
    target = d["prevalence"]
    if target <= 0.0:
        a = -np.inf
    elif target >= 1.0:
        a = np.inf
    else:
        a = brentq(lambda a: float(expit(a + s).mean()) - target, -60.0, 60.0, xtol=1e-10)
    latent = a + s
    p = expit(latent)
    exploited = rng.random(n) < p
    sexes = ["female", "male"]
    forms = _ordered_union(d["forms"].values())
    form_i = _choice(rng, np.where(P["female"], 0, 1).astype(np.int32), _dist_matrix([d["forms"][x] for x in sexes], forms))
    sector_codes = _ordered_union([*d["sectors"].values(), sc.data["people"]["work_sectors"]])
    sec_exp = _choice(rng, form_i, _dist_matrix([d["sectors"][f] for f in forms], sector_codes))
    sec_work = _choice(rng, np.zeros(n, np.int32), _dist_matrix([sc.data["people"]["work_sectors"]], sector_codes))
    employed = rng.random(n) < np.array([sc.data["channels"][c]["employed"] for c in P["channels"]])[P["ch"]]
    sector = np.where(exploited, sec_exp, np.where(employed, sec_work, -1))
    in_onward = J["onward"] & (rng.random(n) < d["in_onward_country"])
    country = np.where(in_onward, J["onward_country"], sc.data["destination"])
    form = np.where(exploited, np.asarray(forms, dtype=object)[form_i], None)
    return {
        "latent": np.where(np.isfinite(latent), latent, np.sign(latent) * 60.0), "p": p,
        "exploited": exploited, "forms": forms, "form_i": np.where(exploited, form_i, -1), "form": form,
        "sector": _with_nulls(np.asarray(sector_codes, dtype=object)[np.maximum(sector, 0)], sector >= 0),
        "country": np.where(exploited, country, None),
    }


# --------------------------------------------------------------------------- lists


def _covariate(key: str, P: dict, E: dict, J: dict) -> np.ndarray:
    if key == "exploited":
        return E["exploited"]
    if key == "female":
        return P["female"]
    if key == "minor":
        return P["minor"]
    if key == "onward":
        return J["onward"]
    kind, _, code = key.partition(":")
    if code:
        if kind == "channel":
            return P["ch"] == P["channels"].index(code)
        if kind == "form":
            return E["form"] == code
        if kind == "sector":
            return E["sector"] == code
        if kind == "citizenship":
            return np.asarray(P["origins"], dtype=object)[P["cit"]] == code
    return P["factors"][key]


def _dob_strings(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dates = (np.datetime64("1970-01-01") + days.astype("timedelta64[D]"))
    y = dates.astype("datetime64[Y]").astype(int) + 1970
    m = dates.astype("datetime64[M]").astype(int) % 12 + 1
    day = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    return y, m, day


def _lists(sc: Scenario, std: StandardView, P: dict, E: dict, J: dict, rng: np.random.Generator,
           given_idx: np.ndarray, middle_idx: np.ndarray, family_idx: np.ndarray
           ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    d = sc.data
    n = P["cit"].shape[0]
    L = d["lists"]
    het, dep = L["heterogeneity"], L["dependence"]
    end = _days(d["period"]["end"])
    stay_end = np.where(J["onward"], J["onward_date"] - 1, end)
    pools = load_pools()
    origin_codes = np.asarray(P["origins"], dtype=object)
    y, m, day = _dob_strings(P["birth"])
    captured: dict[str, np.ndarray] = {}
    out_lists: dict[str, pl.DataFrame] = {}
    truths = []
    rom_cache: dict[tuple, np.ndarray] = {}
    for name, a in L["agencies"].items():
        lp = np.full(n, logit(np.clip(a["base_rate"], 1e-9, 1 - 1e-9)))
        for key, w in a["effects"].items():
            lp = lp + het * w * _covariate(key, P, E, J)
        for src, w in a["referrals"].items():
            lp = lp + dep * w * captured[src]
        abroad = a["country"] != d["destination"]
        cap = rng.random(n) < expit(lp)
        if abroad:
            # an agency in another member state can only meet people who moved on there
            cap &= J["onward"] & (J["onward_country"] == a["country"])
        captured[name] = cap
        idx = np.flatnonzero(cap)
        nz = a["noise"]
        dup = rng.random(idx.size) < nz["duplicate"]
        pid = np.concatenate([idx, idx[dup]])
        is_dup = np.concatenate([np.zeros(idx.size, bool), np.ones(int(dup.sum()), bool)])
        k = pid.size
        if abroad:
            arrived = J["onward_date"][pid]
            if a["timing"] == "entry":
                rdate = arrived
            else:
                span = np.maximum(end - arrived, 0)
                rdate = arrived + np.floor(rng.random(k) * (span + 1)).astype(np.int64)
        elif a["timing"] == "entry":
            rdate = P["entry"][pid]
        else:
            span = np.maximum(stay_end[pid] - P["entry"][pid], 0)
            rdate = P["entry"][pid] + np.floor(rng.random(k) * (span + 1)).astype(np.int64)
        order = np.lexsort((rng.random(k), rdate))
        pid, is_dup, rdate = pid[order], is_dup[order], rdate[order]

        key = tuple(sorted(a["romanisation"].items()))
        if key not in rom_cache:
            rom_cache[key] = pools.romanised(a["romanisation"])
        rom = rom_cache[key]
        given = rom[given_idx[pid]]
        family = rom[family_idx[pid]]
        mid = middle_idx[pid]
        has_mid = mid >= 0
        mid_dropped = has_mid & (rng.random(k) < nz["middle_dropped"])
        keep_mid = has_mid & ~mid_dropped
        given = given.copy()
        given[keep_mid] = given[keep_mid] + " " + rom[mid[keep_mid]]
        swap = rng.random(k) < nz["swap_order"]
        given, family = np.where(swap, family, given), np.where(swap, given, family)
        t_g = rng.random(k) < nz["typo"]
        t_f = rng.random(k) < nz["typo"]
        given = apply_typos(given, t_g, rng)
        family = apply_typos(family, t_f, rng)
        upper = rng.random(k) < nz["uppercase"]
        g_miss = rng.random(k) < nz["given_missing"]
        f_miss = rng.random(k) < nz["family_missing"]
        u = rng.random(k)
        py, pm, pd_ = y[pid], m[pid], day[pid]
        miss = u < nz["dob_missing"]
        jan1 = ~miss & (u < nz["dob_missing"] + nz["dob_jan1"])
        swp = ~miss & ~jan1 & (u < nz["dob_missing"] + nz["dob_jan1"] + nz["dob_swap"]) & (pd_ <= 12) & (pd_ != pm)
        rm = np.where(jan1, 1, np.where(swp, pd_, pm))
        rd = np.where(jan1, 1, np.where(swp, pm, pd_))
        dob_err = np.full(k, None, dtype=object)
        dob_err[swp] = "day_month_swap"
        dob_err[jan1] = "jan1"
        dob_err[miss] = "missing"
        sex_miss = rng.random(k) < nz["sex_missing"]
        cit_miss = rng.random(k) < nz["citizenship_missing"]
        regions = np.asarray(a["regions"], dtype=object)
        region = regions[np.minimum((rng.random(k) * len(regions)).astype(int), len(regions) - 1)]
        sex = np.where(P["female"][pid], "female", "male")

        df = pl.DataFrame([
            _S("given_name", given),
            _S("family_name", family),
            pl.Series("_y", py.astype(np.int32)), pl.Series("_m", rm.astype(np.int32)), pl.Series("_d", rd.astype(np.int32)),
            pl.Series("_upper", upper), pl.Series("_gm", g_miss), pl.Series("_fm", f_miss), pl.Series("_dm", miss),
            _S("sex", sex), pl.Series("_sm", sex_miss),
            _S("citizenship", origin_codes[P["cit"][pid]]), pl.Series("_cm", cit_miss),
            _date_series("record_date", rdate),
            _S("region", region),
        ])
        cols = [
            pl.format("{}-{}", pl.lit(name), (pl.int_range(1, k + 1, dtype=pl.Int64)).cast(pl.String).str.zfill(7)).alias("record_id"),
            pl.lit(name).alias("list"),
        ]
        for col, miss_col in (("given_name", "_gm"), ("family_name", "_fm")):
            v = pl.when(pl.col("_upper")).then(pl.col(col).str.to_uppercase()).otherwise(pl.col(col))
            cols.append(pl.when(pl.col(miss_col)).then(None).otherwise(v).alias(col))
        dob = pl.format("{}-{}-{}", pl.col("_y").cast(pl.String).str.zfill(4), pl.col("_m").cast(pl.String).str.zfill(2),
                        pl.col("_d").cast(pl.String).str.zfill(2))
        cols += [
            pl.when(pl.col("_dm")).then(None).otherwise(dob).alias("date_of_birth"),
            pl.when(pl.col("_sm")).then(None).otherwise(pl.col("sex")).alias("sex"),
            pl.when(pl.col("_cm")).then(None).otherwise(pl.col("citizenship")).alias("citizenship"),
            pl.col("record_date"), pl.col("region"),
        ]
        rec = df.select(cols)
        if a["timing"] == "entry":
            codes = J["onward_crossing"][pid] if abroad else J["crossing_at_entry"][pid]
            rec = rec.with_columns(J["crossings"].series("crossing_point", codes))
        out_lists[name] = rec
        truths.append(pl.DataFrame([
            _S("list", np.full(k, name, dtype=object)),
            rec.get_column("record_id"),
            pl.Series("person_id", pid.astype(np.int64)),
            pl.Series("duplicate", is_dup),
            pl.Series("name_order_swapped", swap),
            pl.Series("middle_dropped", mid_dropped),
            pl.Series("typo_given", t_g),
            pl.Series("typo_family", t_f),
            _S("dob_error", dob_err),
            pl.Series("romanisation", np.full(k, ",".join(f"{s}={v}" for s, v in sorted(a["romanisation"].items())), dtype=object), dtype=pl.String),
        ]))
    return out_lists, pl.concat(truths, how="vertical")


# --------------------------------------------------------------------------- interviews


def _answers(truth: np.ndarray, rng: np.random.Generator, yt: np.ndarray, yf: np.ndarray, unk: np.ndarray) -> np.ndarray:
    """Recorded answer (1 yes, 0 no, -1 unknown) for a matrix of true states; rates per row."""
    u = rng.random(truth.shape)
    yes_p = np.where(truth, yt[:, None], yf[:, None])
    ans = np.where(u < yes_p, 1, np.where(u < yes_p + unk[:, None], -1, 0)).astype(np.int8)
    return ans


def _interviews(sc: Scenario, std: StandardView, P: dict, E: dict, records: pl.DataFrame,
                lists: dict[str, pl.DataFrame], rng: np.random.Generator) -> pl.DataFrame:
    d = sc.data
    iv = d["interviews"]
    agencies = d["lists"]["agencies"]
    parts = []
    for name, a in agencies.items():
        if not a["interviews"]:
            continue
        t = records.filter((pl.col("list") == name) & ~pl.col("duplicate")).select("record_id", "person_id")
        lst = lists[name].select("record_id", "record_date", "region")
        parts.append(t.join(lst, on="record_id", how="left", maintain_order="left").with_columns(pl.lit(name).alias("agency")))
    if not parts:
        flags = set(std.indicator_ids) | set(std.factor_ids) | {"identified_victim"}
        return pl.DataFrame(schema={
            c: pl.Date if c == "interview_date" else pl.Int32 if c == "age" else pl.Int8 if c in flags else pl.String
            for c in std.assessment_columns})
    base = pl.concat(parts, how="vertical")
    pid = base.get_column("person_id").to_numpy()
    k = pid.size
    agency = base.get_column("agency").to_numpy()
    # rates per assessment (agency overrides)
    rates = {}
    for r in ("yes_if_true", "yes_if_false", "unknown"):
        arr = np.full(k, iv[r], dtype=float)
        for name, a in agencies.items():
            v = a["interview_noise"].get(r)
            if v is not None:
                arr[agency == name] = v
        rates[r] = arr

    # true indicator states per person interviewed (shared by all interviews of one person)
    uniq, inv = np.unique(pid, return_inverse=True)
    ind = d["indicators"]
    dims = [x for x, _ in std.dimensions]
    lat = E["latent"]
    zr = (lat[uniq] - lat.mean()) / (lat.std() or 1.0)
    ex = E["exploited"][uniq]
    pd_ex = np.array([ind["exploited"]["dimensions"][x] for x in dims])
    pd_no = np.array([ind["not_exploited"]["dimensions"][x] for x in dims])
    base_p = np.where(ex[:, None], pd_ex[None, :], pd_no[None, :])
    p_dim = expit(logit(np.clip(base_p, 1e-6, 1 - 1e-6)) + ind["risk_effect"] * zr[:, None])
    active = rng.random(p_dim.shape) < p_dim
    dim_of = np.array([dims.index(dim) for _, dim, _ in std.indicators])
    # the ILO-EC list that applies to each person: adult/child x labour/sexual exploitation
    minor_at = np.floor((base.get_column("record_date").cast(pl.Int32).to_numpy() - P["birth"][pid]) / 365.25) < 18
    sexual = E["form"][uniq] == "sexual_exploitation"
    first_pos = np.unique(inv, return_index=True)[1]
    child = np.zeros(uniq.size, dtype=bool)
    child[inv[first_pos]] = minor_at[first_pos]
    list_of = np.where(child, 2, 0) + np.where(sexual, 1, 0)  # 0 adult_labour 1 adult_sexual 2 child_labour 3 child_sexual
    names4 = ("adult_labour", "adult_sexual", "child_labour", "child_sexual")
    gp = np.zeros((uniq.size, len(std.indicators)))
    for li, lname in enumerate(names4):
        rows = list_of == li
        if not rows.any():
            continue
        for level, mask in (("exploited", ex & rows), ("not_exploited", ~ex & rows)):
            g = ind[level]["grades"]
            vec = np.array([g.get(gr[lname], 0.0) if lname in gr else 0.0 for _, _, gr in std.indicators])
            gp[mask] = vec[None, :]
    ind_truth = active[:, dim_of] & (rng.random(gp.shape) < gp)
    # an interviewee who does not disclose (fear, shame, distrust) confirms few true indicators
    discloses = rng.random(k) < iv["disclosure"]
    yt_ind = np.where(discloses, rates["yes_if_true"], np.minimum(rates["yes_if_true"], iv["yes_if_true_withheld"]))
    ind_ans = _answers(ind_truth[inv], rng, yt_ind, rates["yes_if_false"], rates["unknown"])
    fac_ids = std.factor_ids
    fac_truth = np.column_stack([P["factors"][f][pid] for f in fac_ids])
    fac_ans = _answers(fac_truth, rng, rates["yes_if_true"], rates["yes_if_false"], rates["unknown"])

    idate = base.get_column("record_date").cast(pl.Int32).to_numpy().astype(np.int64)
    age = np.floor((idate - P["birth"][pid]) / 365.25).astype(np.int32)
    age_known = rng.random(k) >= iv["age_unknown"]
    form_known = E["exploited"][pid] & (rng.random(k) < iv["form_recorded"])
    # formal identification (standard: identified_victim), drawn last so the other columns keep their
    # values: an exploited interviewee is recorded identified with the agency's rate (police and
    # anti-trafficking agencies identify more often), a non-exploited one with the error rate;
    # `identification_unknown` of the interviews cannot check the record (null)
    id_rate = np.full(k, iv["identified_if_exploited"], dtype=float)
    for name, a in agencies.items():
        if a["identified_if_exploited"] is not None:
            id_rate[agency == name] = a["identified_if_exploited"]
    identified = _answers(E["exploited"][pid][:, None], rng, id_rate,
                          np.full(k, iv["identified_if_not_exploited"]), np.full(k, iv["identification_unknown"]))[:, 0]
    country = np.array([agencies[x]["country"] for x in agency], dtype=object) if k else np.array([], dtype=object)
    version = std.version
    cols = [
        pl.format("A{}", pl.int_range(1, k + 1, dtype=pl.Int64).cast(pl.String).str.zfill(8)).alias("assessment_id"),
        pl.format("P{}", pl.col("person_id").cast(pl.String).str.zfill(7)).alias("subject_ref"),
        pl.lit(version).alias("standard_version"),
        pl.col("agency"),
        pl.col("record_date").alias("interview_date"),
    ]
    out = base.select(cols).with_columns(
        _S("sex", np.where(P["female"][pid], "female", "male")),
        pl.Series("age", age).cast(pl.Int32),
        _S("citizenship", np.asarray(P["origins"], dtype=object)[P["cit"][pid]]),
        _S("country_of_interview", country),
        base.get_column("region"),
        _S("legal_status", P["status"][pid]),
        _S("education", np.asarray(P["edu_codes"], dtype=object)[P["edu"][pid]]),
        _S("sector", E["sector"][pid]),
        _S("exploitation_form", np.where(form_known, E["form"][pid], None)),
        _ans_series("identified_victim", identified),
    )
    out = out.with_columns(pl.when(pl.Series(age_known)).then(pl.col("age")).otherwise(None).alias("age"))
    ans_cols = []
    for j, iid in enumerate(std.indicator_ids):
        ans_cols.append(_ans_series(iid, ind_ans[:, j]))
    for j, fid in enumerate(fac_ids):
        ans_cols.append(_ans_series(fid, fac_ans[:, j]))
    out = pl.concat([out, pl.DataFrame(ans_cols)], how="horizontal")
    wanted = [c for c in std.assessment_columns if c in out.columns]
    rest = [c for c in out.columns if c not in wanted]
    return out.select(wanted + rest)


def _ans_series(name: str, a: np.ndarray) -> pl.Series:
    s = pl.Series(name, a, dtype=pl.Int8)
    return pl.select(pl.when(s >= 0).then(s).otherwise(None).alias(name)).to_series()


# --------------------------------------------------------------------------- names and assembly


def _names(P: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pool indices of each person's given, middle (-1 = none) and family name."""
    pools = load_pools()
    n = P["cit"].shape[0]
    given = np.zeros(n, np.int32)
    family = np.zeros(n, np.int32)
    middle = np.full(n, -1, np.int32)
    u1, u2, u3, u4 = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    for li, lang in enumerate(P["langs"]):
        for is_f in (False, True):
            mask = (P["lang"] == li) & (P["female"] == is_f)
            if not mask.any():
                continue
            g = pools.index[(lang, "female" if is_f else "male")]
            f = pools.index.get((lang, "family_female")) if is_f else None
            f = f if f is not None else pools.index[(lang, "family")]
            given[mask] = g[np.minimum((u1[mask] * g.size).astype(int), g.size - 1)]
            family[mask] = f[np.minimum((u2[mask] * f.size).astype(int), f.size - 1)]
            mid = pools.index.get((lang, "middle_female" if is_f else "middle_male"))
            if mid is not None and pools.middle_rate.get(lang, 0.0) > 0:
                has = mask & (u3 < pools.middle_rate[lang])
                middle[has] = mid[np.minimum((u4[has] * mid.size).astype(int), mid.size - 1)]
    return given, middle, family


def simulate(scenario: str | Scenario | dict = "romania", people: int = 10_000, seed: int = 1, *,
             progress: Progress | None = None) -> World:
    """Generate a synthetic world with known truth.

    Parameters
    ----------
    scenario : str, Path, dict or Scenario
        Built-in scenario name (``romania``, ...), path to a scenario YAML, or a mapping.
    people : int
        Number of people in the population (TCNs who entered during the scenario period).
    seed : int
        Seed of the single ``numpy.random.SeedSequence`` every stage's generator is spawned from;
        the same (scenario, people, seed) gives byte-identical output files.
    progress : callable, optional
        Called as ``progress(stage, done, total)`` after each of the stages in :data:`STAGES`.

    Returns
    -------
    World
        ``people``, ``journeys``, ``records`` (truth), ``assessments`` and ``lists``.

    Notes
    -----
    Assumptions: people are independent of each other (no households, no networks); exploitation
    is a function of the vulnerability factors only (never of citizenship directly, which acts only
    through the factors it influences via the scenario's explicit per-origin parameters); capture by
    an agency depends on the person and on capture by earlier lists (referrals), not on time.
    The scenario is not calibrated unless it says so and cites its source.

    References
    ----------
    ILO and European Commission (2009), *Operational indicators of trafficking in human beings*,
    WCMS_105023 (the indicator lists and grades the interviews follow). IOM (2019), *Handbook on
    Protection and Assistance for Migrants Vulnerable to Violence, Exploitation and Abuse*, Part 1,
    Determinants of Migrant Vulnerability (the factors). Directive 2011/36/EU as amended by
    Directive (EU) 2024/1712 (the forms of exploitation).
    """
    if not isinstance(people, (int, np.integer)) or isinstance(people, bool) or people < 1:
        raise LanternError(f"must be a positive whole number, got {people!r}", field="people")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise LanternError(f"must be a non-negative whole number, got {seed!r}", field="seed")
    sc = load_scenario(scenario)
    std = standard_view()
    n = int(people)
    streams = np.random.SeedSequence(int(seed)).spawn(7)
    rngs = [np.random.Generator(np.random.PCG64(s)) for s in streams]
    tick = progress or (lambda *_: None)

    P = _people(sc, std, n, rngs[0])
    given_idx, middle_idx, family_idx = _names(P, rngs[5])
    tick("people", 1, len(STAGES))
    journeys, J = _journeys(sc, std, P, rngs[1])
    tick("journeys", 2, len(STAGES))
    E = _exploitation(sc, std, P, J, rngs[2])
    tick("exploitation", 3, len(STAGES))
    lists, records = _lists(sc, std, P, E, J, rngs[3], given_idx, middle_idx, family_idx)
    tick("lists", 4, len(STAGES))
    assessments = _interviews(sc, std, P, E, records, lists, rngs[4])
    tick("interviews", 5, len(STAGES))

    pools = load_pools()
    latin = scholarly_latin(pools)
    orig = np.asarray(pools.original, dtype=object)
    pid_expr = pl.format("P{}", pl.col("person_id").cast(pl.String).str.zfill(7))
    people_df = pl.DataFrame([
        pl.Series("person_id", np.arange(n, dtype=np.int64)),
        _coded("citizenship", P["origins"], P["cit"]),
        _coded("sex", ["male", "female"], P["female"].astype(np.int8)),
        _date_series("date_of_birth", P["birth"]),
        pl.Series("age_at_entry", P["age"]),
        _coded("native_language", P["langs"], P["lang"]),
        pl.Series("speaks_local_language", P["speaks_local"]),
        pl.Series("speaks_english", P["speaks_en"]),
        _S("languages_spoken", P["spoken"]),
        _S("family_situation", P["family"]),
        _coded("education", P["edu_codes"], P["edu"]),
        _coded("channel", P["channels"], P["ch"]),
        _S("legal_status", P["status"]),
        _date_series("entry_date", P["entry"]),
        J["crossings"].series("entry_crossing_point", J["crossing_at_entry"]),
        J["facilitators"].series("entry_facilitator_type", J["facilitator_at_entry"]),
        pl.Series("onward", J["onward"]),
        J["onward_country_s"],
        _date_series("onward_date", np.where(J["onward"], J["onward_date"], 0), J["onward"]),
        _coded("given_name_original", orig, given_idx),
        _coded("middle_name_original", orig, middle_idx),
        _coded("family_name_original", orig, family_idx),
        _coded("given_name", latin, given_idx),
        _coded("middle_name", latin, middle_idx),
        _coded("family_name", latin, family_idx),
        pl.Series("precarity", P["precarity"]),
        pl.Series("latent_risk", E["latent"]),
        pl.Series("p_exploited", E["p"]),
        pl.Series("exploited", E["exploited"]),
        _S("exploitation_form", E["form"]),
        _S("sector", E["sector"]),
        _S("country_of_exploitation", E["country"]),
        *[pl.Series(f, P["factors"][f]) for f in std.factor_ids],
    ]).with_columns(pid_expr)
    journeys = journeys.with_columns(pid_expr)
    records = records.with_columns(pid_expr)
    return World(
        scenario=sc, seed=int(seed), standard_version=std.version, people=people_df,
        journeys=journeys, records=records, assessments=assessments, lists=lists,
    )
