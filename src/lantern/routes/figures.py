"""Offline pictures of routes: a Sankey (alluvial) diagram of corridors and a flow map.

Both are drawn with matplotlib (Agg backend) and saved as PNG, SVG and PDF — no CDN, no map-tile
server, no JavaScript, so they work on an offline platform and in printed reports. The flow map places
countries at approximate centres from a small table shipped with the package
(``lantern/routes/data/centroids.csv``) on a plain longitude/latitude grid, without coastlines: a
schematic map that shows direction and volume, which is what a route picture must convey; adding
borders would need a shapefile we cannot fetch at run time.

Disclosure control: flows of fewer than ``threshold`` persons are not drawn and categories smaller than
that are pooled into "other" (the figure says so in its footnote).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

STAGES = ("origin", "transit", "entry", "onward")
STAGE_TITLES = {"origin": "Origin", "transit": "First transit", "entry": "EU entry", "onward": "First onward move"}


@functools.lru_cache(maxsize=1)
def centroids() -> dict[str, tuple[float, float]]:
    """ISO alpha-2 → (lat, lon) from the shipped table."""
    path = Path(__file__).parent / "data" / "centroids.csv"
    table = pd.read_csv(path, comment="#", dtype={"iso2": str})
    return {r.iso2: (float(r.lat), float(r.lon)) for r in table.itertuples(index=False)}


def _save(fig, out_base: Path) -> list[Path]:
    out_base.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "svg", "pdf"):
        path = out_base.with_suffix(f".{ext}")
        tmp = path.with_name(f".{path.name}.tmp.{ext}")
        fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight", metadata={"Date": None} if ext in ("svg", "pdf") else None)
        tmp.replace(path)
        paths.append(path)
    return paths


def sankey_stages(persons: pd.DataFrame, *, threshold: int = 11) -> pd.DataFrame:
    """Per person, the label at each stage (first transit / first onward; small categories pooled)."""
    reached = persons[persons["entry"].notna()].copy()
    reached["transit"] = reached["transit"].fillna("").map(lambda s: s.split("+")[0] if s else "direct")
    reached["onward"] = reached["onward"].fillna("").map(lambda s: s.split("+")[0] if s else "stayed")
    frame = reached[list(STAGES)].astype(str)
    if threshold > 1:
        for stage in STAGES:
            counts = frame[stage].value_counts()
            rare = counts[counts < threshold].index
            frame.loc[frame[stage].isin(rare), stage] = "other"
    return frame


def draw_sankey(persons: pd.DataFrame, out_base: str | Path, *, threshold: int = 11, title: str = "Corridors into the EU") -> list[Path]:
    """Alluvial diagram origin → first transit → EU entry → first onward move; PNG, SVG and PDF."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MPath

    frame = sankey_stages(persons, threshold=threshold)
    fig, ax = plt.subplots(figsize=(11, 6.5))
    ax.set_axis_off()
    total = len(frame)
    if total == 0:
        ax.text(0.5, 0.5, "no journeys reached the EU", ha="center", va="center")
        paths = _save(fig, Path(out_base))
        plt.close(fig)
        return paths
    gap = 0.02
    node_w = 0.025
    xs = np.linspace(0.05, 0.95 - node_w, len(STAGES))
    positions: dict[tuple[int, str], list[float]] = {}
    for s, stage in enumerate(STAGES):
        counts = frame[stage].value_counts()
        n = len(counts)
        scale = (1 - gap * (n - 1)) / total
        y = 1.0
        for label, count in counts.items():
            h = count * scale
            y -= h
            positions[(s, label)] = [y, h, y + h, y + h]  # bottom, height, out-cursor, in-cursor
            ax.add_patch(Rectangle((xs[s], y), node_w, h, color="#34495e"))
            if h > 0.012:
                ax.text(xs[s] + (node_w + 0.005 if s < len(STAGES) - 1 else -0.005), y + h / 2,
                        f"{label} ({count})" if threshold <= 1 else f"{label}",
                        ha="left" if s < len(STAGES) - 1 else "right", va="center", fontsize=8)
            y -= gap
        ax.text(xs[s] + node_w / 2, 1.03, STAGE_TITLES[stage], ha="center", fontsize=10, weight="bold")
    cmap = plt.get_cmap("tab20")
    origins = list(frame["origin"].value_counts().index)
    colour = {o: cmap(i % 20) for i, o in enumerate(origins)}
    hidden = 0
    for s in range(len(STAGES) - 1):
        a, b = STAGES[s], STAGES[s + 1]
        flows = frame.groupby([a, b]).size().sort_index()
        size_a = frame[a].value_counts()
        size_b = frame[b].value_counts()
        for (src, dst), count in flows.items():
            na, nb = positions[(s, src)], positions[(s + 1, dst)]
            h0 = count * na[1] / size_a[src]
            h1 = count * nb[1] / size_b[dst]
            y0_top = na[2]
            y1_top = nb[3]
            na[2] -= h0
            nb[3] -= h1
            if threshold > 1 and count < threshold:
                hidden += 1
                continue
            x0, x1 = xs[s] + node_w, xs[s + 1]
            xm = (x0 + x1) / 2
            verts = [(x0, y0_top), (xm, y0_top), (xm, y1_top), (x1, y1_top), (x1, y1_top - h1),
                     (xm, y1_top - h1), (xm, y0_top - h0), (x0, y0_top - h0), (x0, y0_top)]
            codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO,
                     MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
            col = colour.get(src, (0.6, 0.6, 0.6, 1.0)) if s == 0 else (0.55, 0.6, 0.7, 1.0)
            ax.add_patch(PathPatch(MPath(verts, codes), facecolor=col, alpha=0.45, lw=0))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.07)
    ax.set_title(title, fontsize=12)
    note = f"{total} persons who reached the EU." if threshold <= 1 else (
        f"Categories of fewer than {threshold} persons pooled as 'other'; {hidden} flows of fewer than {threshold} not drawn."
    )
    fig.text(0.01, 0.01, note, fontsize=7, color="#555555")
    paths = _save(fig, Path(out_base))
    plt.close(fig)
    return paths


def draw_flow_map(legs: pd.DataFrame, out_base: str | Path, *, eu: frozenset[str], threshold: int = 11,
                  title: str = "Journey legs (schematic flow map)") -> list[Path]:
    """Arrows between country centres, width ∝ number of legs; EU member states highlighted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    where = centroids()
    flows = legs.groupby(["from_country", "to_country"]).size().rename("n").reset_index()
    if threshold > 1:
        flows = flows[flows["n"] >= threshold]
    missing = sorted({c for c in pd.concat([flows["from_country"], flows["to_country"]]).astype(str) if c not in where})
    flows = flows[flows["from_country"].isin(where.keys()) & flows["to_country"].isin(where.keys())]
    fig, ax = plt.subplots(figsize=(11, 7))
    countries = sorted(set(flows["from_country"]) | set(flows["to_country"]))
    if countries:
        lats = [where[c][0] for c in countries]
        lons = [where[c][1] for c in countries]
        mid = np.deg2rad(np.mean(lats))
        ax.set_aspect(1 / max(np.cos(mid), 0.3))
        ax.set_xlim(min(lons) - 6, max(lons) + 6)
        ax.set_ylim(min(lats) - 4, max(lats) + 4)
        top = flows["n"].max()
        incoming: dict[str, int] = defaultdict(int)
        for r in flows.itertuples(index=False):
            incoming[r.to_country] += int(r.n)
            (la0, lo0), (la1, lo1) = where[r.from_country], where[r.to_country]
            intra = r.from_country in eu and r.to_country in eu
            ax.add_patch(FancyArrowPatch((lo0, la0), (lo1, la1), connectionstyle="arc3,rad=0.18",
                                         arrowstyle="-|>", mutation_scale=8 + 10 * r.n / top,
                                         lw=0.6 + 6 * r.n / top, color="#c0392b" if intra else "#2c3e50", alpha=0.6))
        for c in countries:
            la, lo = where[c]
            ax.scatter([lo], [la], s=40, color="#2980b9" if c in eu else "#7f8c8d", zorder=3)
            ax.annotate(c, (lo, la), xytext=(3, 3), textcoords="offset points", fontsize=8)
        ax.grid(True, color="#eeeeee")
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
    else:
        ax.text(0.5, 0.5, "no flows to draw", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(title)
    note = "Blue: EU member states; red arrows: moves between member states. Country positions are approximate centres."
    if threshold > 1:
        note += f" Flows of fewer than {threshold} legs not drawn."
    if missing:
        note += f" No position for: {', '.join(missing)}."
    fig.text(0.01, 0.01, note, fontsize=7, color="#555555")
    paths = _save(fig, Path(out_base))
    plt.close(fig)
    return paths
