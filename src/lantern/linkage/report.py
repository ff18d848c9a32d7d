"""A self-contained HTML report of a linkage run (no scripts, no external resources)."""

from __future__ import annotations

from html import escape


def _bar(value: float, top: float) -> str:
    width = 0 if top <= 0 else max(1, int(300 * value / top)) if value else 0
    return f'<span style="display:inline-block;height:10px;width:{width}px;background:#36c"></span>'


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.1f}"
    return escape(f"{v:,}" if isinstance(v, int) else str(v))


def _pct(value) -> str:
    return "–" if value is None else f"{value:.1%}"


def render_report(summary: dict) -> str:
    """Render ``summary`` (from :meth:`lantern.linkage.pipeline.LinkageResult.summary`) as HTML."""
    lists = "".join(f"<tr><td>{escape(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in summary["lists"].items())
    band_rows = []
    for row in summary["threshold_band"]:
        mark = " <b>(chosen)</b>" if row["threshold"] == summary["threshold"] else ""
        est = _fmt(row.get("estimate")) if row.get("estimate") is not None else escape(row.get("estimate_note", "–"))
        band_rows.append(
            f"<tr><td>{row['threshold']}{mark}</td><td>{_fmt(row['people'])}</td><td>{_fmt(row['accepted_pairs'])}</td>"
            f"<td>{_fmt(row['estimated_precision'])}</td><td>{_fmt(row['estimated_recall'])}</td><td>{est}</td></tr>")
    hist = summary["match_weight_histogram"]
    top = max((h["pairs"] for h in hist), default=0)
    hist_rows = "".join(
        f"<tr><td>{h['from']:.1f} to {h['to']:.1f}</td><td>{h['pairs']:,}</td><td>{_bar(h['pairs'], top)}</td></tr>" for h in hist)
    sizes = summary["cluster_sizes"]
    top_s = max(sizes.values(), default=0)
    size_rows = "".join(f"<tr><td>{k}</td><td>{v:,}</td><td>{_bar(v, top_s)}</td></tr>" for k, v in sizes.items())
    warn = "".join(f"<li>{escape(w)}</li>" for w in summary.get("warnings", []))
    warn_html = f'<h2>Warnings</h2><ul class="warnings">{warn}</ul>' if warn else ""
    comp = summary.get("identifier_completeness", {})
    comp_rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{_fmt(v.get('records'))}</td><td>{_pct(v.get('no_date_of_birth'))}</td>"
        f"<td>{_pct(v.get('placeholder_date_of_birth'))}</td><td>{_pct(v.get('no_given_name'))}</td>"
        f"<td>{_pct(v.get('no_family_name'))}</td></tr>" for k, v in comp.items())
    mode = "privacy-preserving (Bloom-filter encodings)" if summary["encoded"] else "plaintext"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lantern linkage report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}}</style>
</head><body>
<h1>Linkage report</h1>
<p>{_fmt(summary['records'])} records from {len(summary['lists'])} lists linked into
<b>{_fmt(summary['people'])}</b> people at match probability ≥ {summary['threshold']}
({mode}, engine {escape(summary['engine'])}).</p>
{warn_html}
<h2>Lists</h2><table><tr><th>list</th><th>records</th></tr>{lists}</table>
<h2>Identifiers present</h2>
<p>Share of each list's records lacking an identifier. Records without a date of birth are the hardest
to link: namesakes among them cannot be told apart.</p>
<table><tr><th>list</th><th>records</th><th>no date of birth</th><th>1 January placeholder</th>
<th>no given name</th><th>no family name</th></tr>{comp_rows}</table>
<h2>How the result moves with the threshold</h2>
<p>Precision and recall here are model-based (from the match probabilities, assuming they are
calibrated); they are optimistic. The estimate is the multiple systems estimate from the
capture histories at that threshold.</p>
<table><tr><th>threshold</th><th>people</th><th>accepted pairs</th><th>est. precision</th>
<th>est. recall</th><th>population estimate</th></tr>{''.join(band_rows)}</table>
<h2>Match weights of the scored pairs</h2>
<table><tr><th>match weight</th><th>pairs</th><th></th></tr>{hist_rows}</table>
<h2>Cluster sizes</h2>
<table><tr><th>records per person</th><th>people</th><th></th></tr>{size_rows}</table>
<p>λ (probability two random records match): {summary['probability_two_random_records_match']:.3g};
scored pairs: {_fmt(summary['scored_pairs'])}.</p>
</body></html>
"""
