"""A readable report of an estimate, in HTML or PDF (WeasyPrint), with inline SVG figures.

Written for a policy analyst: what the data are, which model was chosen and why, how uncertain the
number is, and how much it would change under other reasonable models. Nothing is loaded from the
network; figures are matplotlib SVG embedded in the page.
"""

from __future__ import annotations

import html
import io
import os
import tempfile
from pathlib import Path

import numpy as np

from lantern.errors import ValidationError
from lantern.estimation.estimator import EstimationResult

METHOD_NAMES = {
    "stepwise": "stepwise selection of two-list interactions (Chan, Silverman & Vincent 2021)",
    "bic": "Bayesian information criterion over all hierarchical models (Silverman, Chan & Vincent 2024)",
    "aic": "Akaike information criterion over all hierarchical models",
    "fixed": "a model fixed in advance by the analyst",
    "main": "main effects only (lists assumed independent)",
    "bayes": "Bayesian thresholding (Silverman 2020)",
    "latent": "latent-class model for heterogeneous capture (LCMCR, Manrique-Vallier 2016)",
    "dga": "Bayesian model averaging over decomposable graphical models (Madigan & York 1997, dga)",
}
INTERVAL_NAMES = {
    "bca": "BCa bootstrap (re-chooses the model on every resample)",
    "lognormal": "log-normal, conditional on the chosen model",
    "profile": "profile likelihood, conditional on the chosen model",
    "bayes": "Bayesian posterior interval",
    "latent": "latent-class model, posterior interval",
    "dga": "posterior interval, averaged over decomposable graphs",
}


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:,.0f}"


def _mark(ax, estimate: float | None, label: str, limits: tuple[float, float] | None, limits_label: str, *,
          lw: float) -> None:
    """Draw the estimate and, when finite, the interval's limits as vertical lines."""
    ax.axvline(estimate, color="black", lw=lw, label=label)
    if limits is not None and np.isfinite(limits[0]):
        ax.axvline(limits[0], color="#c0392b", ls="--", label=limits_label)
        ax.axvline(limits[1], color="#c0392b", ls="--")


def figures(result: EstimationResult) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = {}
    # list sizes
    fig, ax = plt.subplots(figsize=(6, 2.2 + 0.18 * len(result.lists)))
    names = list(result.list_totals)
    vals = [result.list_totals[n] for n in names]
    ax.barh(names[::-1], vals[::-1], color="#4a78a8")
    ax.set_xlabel("people on the list")
    ax.set_title("Size of each list")
    out["lists"] = _svg(fig)
    # bootstrap distribution
    if result.bootstrap and result.bootstrap.get("estimates"):
        est = np.asarray(result.bootstrap["estimates"], float)
        est = est[np.isfinite(est)]
        fig, ax = plt.subplots(figsize=(6, 2.8))
        hi = np.quantile(est, 0.995)
        ax.hist(np.clip(est, None, hi), bins=40, color="#9bbbd9", edgecolor="white")
        _mark(ax, result.estimate, "estimate", result.intervals.get("bca", {}).get(0.95), "95% BCa limits", lw=2)
        ax.set_xlabel("estimated total population")
        ax.set_ylabel("replicates")
        ax.set_title("Bootstrap distribution (model re-chosen each time)")
        ax.legend(fontsize=8)
        out["bootstrap"] = _svg(fig)
    # model-averaged posterior of N (dga)
    curve = (result.bayes or {}).get("posterior_curve")
    if curve and curve.get("total"):
        fig, ax = plt.subplots(figsize=(6, 2.8))
        ax.plot(curve["total"], curve["probability"], color="#4a78a8", lw=2)
        _mark(ax, result.estimate, "posterior median", result.intervals.get("dga", {}).get(0.95),
              "95% posterior interval", lw=1.5)
        ax.set_xlabel("total population N")
        ax.set_ylabel("posterior probability")
        ax.set_title("Posterior of N, averaged over decomposable graphs")
        ax.legend(fontsize=8)
        out["posterior"] = _svg(fig)
    # sensitivity
    sens = [c for c in result.sensitivity if c.estimate is not None][:20]
    if sens:
        fig, ax = plt.subplots(figsize=(6.5, 0.9 + 0.28 * len(sens)))
        labels = [c.label if len(c.label) < 45 else c.model for c in sens]
        y = np.arange(len(sens))[::-1]
        x = np.array([c.estimate for c in sens], dtype=float)  # only models with an estimate (above)
        ax.scatter(x, y, color="#4a78a8", zorder=3)
        chosen = [i for i, c in enumerate(sens) if c.model == result.model.string]
        for i in chosen:
            ax.scatter([x[i]], [y[i]], color="#c0392b", s=60, zorder=4, label="chosen model")
        ax.set_yticks(y)
        ax.set_yticklabels(labels, fontsize=7)
        ax.axvline(result.observed, color="grey", ls=":", label="observed")
        ax.set_xlabel("estimated total population")
        ax.set_title("Estimate under nearby models (best BIC at the top)")
        ax.legend(fontsize=7, loc="lower right")
        out["sensitivity"] = _svg(fig)
    return out


def render_html(result: EstimationResult) -> str:
    """The report as a self-contained HTML page."""
    e = html.escape
    figs = figures(result)
    rows = "".join(
        "<tr>" + "".join(f"<td>{e(str(r[c]))}</td>" for c in [*result.lists, "count"]) + "</tr>"
        for r in result.data
    )
    data_table = ("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in [*result.lists, "count"]) + "</tr>"
                  + rows + "</table>")
    iv_rows = ""
    for m, levels in result.intervals.items():
        for lvl, (lo, hi) in sorted(levels.items()):
            iv_rows += (f"<tr><td>{e(INTERVAL_NAMES.get(m, m))}</td><td>{lvl:.0%}</td>"
                        f"<td>{_fmt(lo)}</td><td>{_fmt(hi)}</td></tr>")
    terms = "".join(
        f"<li>{e(t['term'])}{' — <b>lists share nobody: set to minus infinity</b>' if t['neg_inf'] else ''}</li>"
        for t in result.model.terms) or "<li>none (main effects only)</li>"
    cand_rows = "".join(
        f"<tr><td>{e(c.model)}</td><td>{e(c.label)}</td><td>{_fmt(c.estimate)}</td>"
        f"<td>{'' if c.score is None else f'{c.score:.2f}'}</td></tr>"
        for c in (result.candidates or result.sensitivity)[:25])
    score_head = "posterior probability" if result.method == "dga" else "BIC/AIC"
    warn = "".join(f"<li>{e(w)}</li>" for w in result.warnings) or "<li>none</li>"
    main_iv = result.intervals.get("bca") or result.intervals.get("bayes") or result.intervals.get("latent") \
        or result.intervals.get("dga") \
        or result.intervals.get("profile") \
        or result.intervals.get("lognormal") or {}
    main95 = main_iv.get(0.95)
    main_lo, main_hi = main95 if main95 else (None, None)
    boot_note = ""
    if result.bootstrap:
        top = ", ".join(f"{e(k)} ({v})" for k, v in list(result.bootstrap["models_chosen"].items())[:5])
        stream = {"r": "R's random stream (the same resamples as R's set.seed + rmultinom)",
                  "numpy": "numpy's random generator"}.get(str(result.bootstrap.get("random_stream")), "")
        seed = result.bootstrap.get("seed")
        boot_note = (f"<p>{result.bootstrap['valid']} of {result.bootstrap['replicates']} bootstrap replicates "
                     f"gave an estimate; models most often chosen: {top}. Resamples drawn with {stream}"
                     f"{'' if seed is None else f', seed {seed}'}: the same seed gives the same interval, another "
                     "seed moves the limits by the Monte Carlo error of the bootstrap.</p>")
    fig = lambda k: f"<figure>{figs[k]}</figure>" if k in figs else ""  # noqa: E731
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Multiple systems estimate</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #222; max-width: 60em; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.15em; border-bottom: 1px solid #ccc; margin-top: 1.6em; }}
table {{ border-collapse: collapse; margin: .5em 0; font-size: .85em; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: right; }}
th {{ background: #eef2f6; }}
.headline {{ font-size: 1.25em; background: #f4f7fa; padding: .6em 1em; border-left: 4px solid #4a78a8; }}
figure {{ margin: .5em 0; }} svg {{ max-width: 100%; height: auto; }}
.warn li {{ color: #8a3b00; }}
</style></head><body>
<h1>Estimated size of the hidden population (multiple systems estimation)</h1>
<p class="headline">Estimated total: <b>{_fmt(result.estimate)}</b> people, of whom {result.observed:,} appear
on at least one list and about {_fmt(result.dark_figure)} on none.
95% interval: {_fmt(main_lo)} to {_fmt(main_hi)}.</p>
<h2>Warnings</h2><ul class="warn">{warn}</ul>
<h2>The data</h2>
<p>{len(result.lists)} lists; each row is a combination of lists and the number of people found on exactly
those lists. People on no list cannot be counted: the method infers them from the overlaps, assuming a
closed population, correct matching of people across lists, and that the chosen model captures how being
on one list changes the chance of being on another.</p>
{fig("lists")}
{data_table}
<h2>The model chosen and why</h2>
<p>Method: {e(METHOD_NAMES.get(result.method, result.method))}.</p>
<p>{e(result.why)}.</p>
<p>Model {e(result.model.string)}; interactions between lists:</p><ul>{terms}</ul>
<h2>How uncertain is the number?</h2>
<table><tr><th>interval</th><th>level</th><th>low</th><th>high</th></tr>{iv_rows}</table>
<p>Intervals that condition on the chosen model are too narrow when the model itself was chosen from the
data; the bootstrap interval repeats the whole model choice on resampled data and is the one to quote.</p>
{boot_note}
{fig("bootstrap")}
{fig("posterior")}
<h2>Sensitivity to the model</h2>
<p>The same data under nearby models (main effects, one interaction more or less than the chosen model):
a wide spread means the estimate depends heavily on an assumption the data cannot settle.</p>
{fig("sensitivity")}
<h2>Models considered</h2>
<table><tr><th>model</th><th>interactions</th><th>estimate</th><th>{score_head}</th></tr>{cand_rows}</table>
<p style="font-size:.8em;color:#666">Lantern, lantern.estimation. References: Chan, Silverman &amp; Vincent (2021)
JASA 116:1297; Silverman, Chan &amp; Vincent (2024) Stat. Comput. 34:44; Silverman (2020) JRSS A 183:691;
Fienberg &amp; Rinaldo (2012) Ann. Statist. 40:996.</p>
</body></html>"""


def write_report(result: EstimationResult, path: str | Path) -> Path:
    """Write the report; ``.html`` or ``.pdf`` by extension. Written to a temporary file, then moved."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise ValidationError("the report must end in .html or .pdf", field="report", record=str(path))
    if not path.parent.exists():
        raise ValidationError("the report's folder does not exist", field="report", record=str(path))
    page = render_html(result)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-report-", suffix=suffix)
    os.close(fd)
    try:
        if suffix == ".pdf":
            from weasyprint import HTML

            HTML(string=page).write_pdf(tmp)
        else:
            Path(tmp).write_text(page, encoding="utf-8")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
