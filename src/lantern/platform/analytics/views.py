"""The analyst's pages: counts, rates, routes, data sources, releases and DP queries.

Views validate, call one selector or service, and render. Every page shows aggregates only: tables after
disclosure control (``<11`` / ``x`` for protected cells), rates from released counts, route tables with
small categories pooled, the source report's shares — never a name, a pseudonym or a subject page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lantern.errors import LanternError, Problem
from lantern.platform import vocab
from lantern.platform.analytics import compute, selectors, services
from lantern.platform.analytics.models import ReleaseState
from lantern.platform.cases.selectors import require

CAPABILITY = "assessment.analyse"
MAX_DENOMINATOR_BYTES = 1024 * 1024


def _spec_from_request(data) -> tuple[dict | None, str, list[Problem]]:
    """The spec the analyst chose: a shipped example (``example``) or composed from the form."""
    example = data.get("example", "").strip()
    if example:
        specs = compute.shipped_specs()
        if example not in specs:
            return None, "", [Problem(_("no such example specification"), field="example", record=example[:40])]
        return specs[example], f"examples/stats/{example}.yaml", []
    measure = data.get("measure", "")
    if not measure:
        return None, "", []
    by = [data.get(f"by{i}", "") for i in (1, 2, 3)]
    spec = compute.composed_spec(measure=measure, by=by, period=data.get("period", "year") or "year",
                                 population=data.get("population", "tcn") or "tcn")
    return spec, "composed", []


def _form_context(data) -> dict:
    return {"examples": compute.shipped_specs(), "measures": compute.MEASURES, "variables": compute.COMPOSE_VARIABLES,
            "form": data, "standard_version": vocab.current_version(),
            "by_fields": [(f"by{i}", data.get(f"by{i}", "") if i > 1 or data else "period") for i in (1, 2, 3)]}


@login_required
def home(request):
    require(request.user, CAPABILITY, action="analytics.read")
    releases = selectors.release_list_for_user(user=request.user)[:10]
    return render(request, "analytics/home.html", {"releases": releases})


@login_required
def counts(request):
    """Tables from a shipped spec or composed from the standard's variables, disclosure-controlled."""
    require(request.user, CAPABILITY, action="analytics.read")
    ctx = _form_context(request.GET)
    spec, source, problems = _spec_from_request(request.GET)
    status = 200
    if spec is not None and not problems:
        try:
            tables = compute.compute(user=request.user, spec=spec, purpose="counts", source=source)
            ctx.update(tables=compute.table_views(tables, spec), spec=spec, spec_source=source,
                       spec_yaml=_yaml(spec), threshold=tables[0].protected.rules.threshold if tables else 11)
        except LanternError as exc:
            problems = exc.problems
    if problems:
        status = 422
    ctx["problems"] = problems
    return render(request, "analytics/counts.html", ctx, status=status)


def _yaml(spec: dict) -> str:
    import yaml

    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


@login_required
def rates(request):
    """Rates per 1,000 from an uploaded denominator CSV (Eurostat long layout); a bad file is shown in place."""
    require(request.user, CAPABILITY, action="analytics.read")
    ctx = {"measures": compute.MEASURES, "dimensions": compute.RATE_DIMENSIONS, "form": request.POST}
    status = 200
    if request.method == "POST":
        problems: list[Problem] = []
        upload = request.FILES.get("denominators")
        measure = request.POST.get("measure", "vulnerable")
        dimension = request.POST.get("dimension", "")
        period = request.POST.get("period", "year")
        if upload is None:
            problems.append(Problem(_("Choose a denominator file (CSV)."), field="denominators", record="file"))
        elif upload.size > MAX_DENOMINATOR_BYTES:
            problems.append(Problem(_("The file is too large (1 MiB at most)."), field="denominators", record="file"))
        if measure not in compute.MEASURES:
            problems.append(Problem(_("Unknown measure."), field="measure", record="form"))
        if dimension and dimension not in compute.RATE_DIMENSIONS:
            problems.append(Problem(_("Rates are broken down by country or citizenship only."), field="dimension",
                                    record="form"))
        if not problems:
            with tempfile.TemporaryDirectory(prefix="lantern-den-") as tmp:
                name = Path(upload.name or "denominators.csv").name or "denominators.csv"
                path = Path(tmp) / name
                path.write_bytes(upload.read())
                try:
                    frame, table = compute.rates(user=request.user, measure=measure, dimension=dimension,
                                                 period=period, denominators_path=path)
                    ctx["rows"] = _rate_rows(frame, table.dims)
                    ctx["dims"] = table.dims
                    ctx["standard_version"] = table.standard_version
                except LanternError as exc:
                    problems = exc.problems
        ctx["problems"] = problems
        status = 422 if problems else 200
    return render(request, "analytics/rates.html", ctx, status=status)


def _rate_rows(frame, dims):
    import math

    def fmt(v, digits=3):
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"

    rows = []
    for _i, r in frame.iterrows():
        den = r["denominator"]
        rows.append({"labels": [r[d] for d in dims], "display": r["display"],
                     "denominator": "" if den != den else f"{den:,.0f}", "rate": fmt(r["rate"]),
                     "lower": fmt(r["rate_lower"]), "upper": fmt(r["rate_upper"]), "note": r["rate_note"]})
    return rows


@login_required
def routes(request):
    require(request.user, CAPABILITY, action="analytics.read")
    group_by = request.GET.get("group_by", "")
    if group_by not in compute.ROUTE_GROUPS:
        group_by = ""
    result = compute.routes(user=request.user, group_by=group_by)
    tables = {name: {"columns": [c for c in frame.columns if c not in ("persons", "legs", "moves")],
                     "rows": frame.fillna("").astype(str).to_dict("records")} for name, frame in result.tables.items()}
    return render(request, "analytics/routes.html", {"result": result, "tables": tables, "group_by": group_by,
                                                     "groups": compute.ROUTE_GROUPS, "figures": compute.FIGURES,
                                                     "formats": compute.FORMATS})


@login_required
def route_figure(request, figure, fmt):
    """A route picture (Sankey or flow map) as PNG, SVG or PDF, drawn on the server (no CDN, no tiles)."""
    require(request.user, CAPABILITY, action="analytics.read")
    if figure not in compute.FIGURES or fmt not in compute.FORMATS:
        raise Http404("No such figure")
    files = compute.route_figures(user=request.user)
    name = f"{figure}.{fmt}"
    response = HttpResponse(files[name], content_type=compute.FORMATS[fmt])
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{request.user.agency.key}-{name}"'
    return response


@login_required
def sources(request):
    """Data-source suitability of the agency's register; ``?format=html`` downloads the core's report."""
    require(request.user, CAPABILITY, action="analytics.read")
    try:
        report = compute.sources(user=request.user)
    except LanternError as exc:
        return render(request, "analytics/sources.html", {"problems": exc.problems}, status=422)
    if request.GET.get("format") == "html":
        from lantern.statistics.sources import render_report

        response = HttpResponse(render_report(report), content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="sources-{request.user.agency.key}.html"'
        return response
    views = []
    for s in report.sources:
        fields = s.fields.fillna("").to_dict("records")
        views.append({"name": s.name, "records": s.records, "fields": fields, "timeliness": s.timeliness,
                      "duplicates": s.duplicates, "recommendations": s.recommendations})
    return render(request, "analytics/sources.html", {"report": report, "sources": views})


MAX_TABLE_FILES = 30


@login_required
def ctdc(request):
    """CTDC-aligned victim microdata, k-anonymised (k = 11): what was done, and ``?format=csv`` to download."""
    require(request.user, CAPABILITY, action="analytics.read")
    try:
        frame, report = compute.ctdc(user=request.user)
    except LanternError as exc:
        return render(request, "analytics/ctdc.html", {"problems": exc.problems}, status=422)
    if request.GET.get("format") == "csv":
        response = HttpResponse(frame.to_csv(index=False), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="ctdc-{request.user.agency.key}.csv"'
        return response
    return render(request, "analytics/ctdc.html", {"report": report, "columns": list(frame.columns)})


@login_required
def combine(request):
    """EU table or country comparison from published national tables (CSV files from each instance's
    releases, and optionally one of my agency's published releases): no microdata involved."""
    import io

    from lantern.statistics.combine import compare_countries, merge_national, read_published

    require(request.user, CAPABILITY, action="analytics.read")
    published = list(selectors.release_list_for_user(user=request.user).filter(state=ReleaseState.PUBLISHED))
    ctx: dict = {"published": published, "form": request.POST}
    status = 200
    if request.method == "POST":
        problems: list[Problem] = []
        uploads = request.FILES.getlist("tables")
        mode = request.POST.get("mode", "merge")
        own = request.POST.get("release", "")
        if len(uploads) > MAX_TABLE_FILES:
            problems.append(Problem(_("At most 30 files."), field="tables", record="form"))
        frames = []
        with tempfile.TemporaryDirectory(prefix="lantern-combine-") as tmp:
            sources = []
            if own:
                release = selectors.release_get_for_user(user=request.user, ref=own)
                file = release.files.filter(fmt="csv").first() if release.is_published else None
                if file is None:
                    problems.append(Problem(_("Not a published release."), field="release", record=own[:20]))
                else:
                    sources.append((f"{request.user.agency.key}-{release.ref}.csv", bytes(file.content)))
            for upload in uploads:
                if upload.size > MAX_DENOMINATOR_BYTES * 2:
                    problems.append(Problem(_("The file is too large (2 MiB at most)."), field="tables",
                                            record=Path(upload.name).name))
                else:
                    sources.append((Path(upload.name or "table.csv").name, upload.read()))
            if len(sources) < 2 and not problems:
                problems.append(Problem(_("Give at least two published tables."), field="tables", record="form"))
            for i, (name, content) in enumerate(sources):
                path = Path(tmp) / f"{i:02d}-{name}"
                path.write_bytes(content)
                try:
                    frame = read_published(path)
                    frame["source"] = Path(name).stem
                    frames.append(frame)
                except LanternError as exc:
                    problems.extend(Problem(p.reason, field=p.field, record=name) for p in exc.problems)
        result = None
        if not problems:
            try:
                result = merge_national(frames) if mode != "compare" else compare_countries(frames)
            except LanternError as exc:
                problems = exc.problems
        if result is not None and request.POST.get("format") == "csv":
            buf = io.StringIO()
            result.to_csv(buf, index=False)
            response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{"eu" if mode != "compare" else "compare"}.csv"'
            return response
        if result is not None:
            shown = [c for c in result.columns if c not in ("value", "lower", "upper", "sources", "measure",
                                                           "standard_version")]
            ctx["columns"] = shown
            ctx["rows"] = result[shown].fillna("").astype(str).values.tolist()
        ctx["problems"] = problems
        status = 422 if problems else 200
    return render(request, "analytics/combine.html", ctx, status=status)


@login_required
def release_list(request):
    releases = selectors.release_list_for_user(user=request.user)
    return render(request, "analytics/release_list.html", {"releases": releases, **_form_context({})})


@login_required
@require_POST
def release_create(request):
    require(request.user, CAPABILITY, action="release.create")
    spec, source, problems = _spec_from_request(request.POST)
    if spec is None and not problems:
        problems = [Problem(_("Choose an example specification or a measure."), field="measure", record="form")]
    budget_raw = request.POST.get("dp_budget", "").strip()
    budget = None
    if budget_raw:
        try:
            budget = float(budget_raw)
        except ValueError:
            problems.append(Problem(_("Not a number."), field="dp_budget", record="form"))
    if not problems:
        try:
            release = services.release_create(user=request.user, title=request.POST.get("title", ""), spec=spec,
                                               spec_source=source, dp_budget=budget)
        except LanternError as exc:
            problems = exc.problems
        else:
            messages.success(request, _("Draft release %(ref)s created. Run the disclosure check next.")
                             % {"ref": release.ref})
            return redirect("analytics-release-detail", ref=release.ref)
    releases = selectors.release_list_for_user(user=request.user)
    return render(request, "analytics/release_list.html",
                  {"releases": releases, "problems": problems, **_form_context(request.POST)}, status=422)


def _release_context(request, release, **extra):
    charges = list(release.charges.all())
    spent = sum(c.epsilon for c in charges)
    files = list(release.files.only("id", "fmt", "name", "sha256")) if release.is_published else []
    return {"release": release, "report": release.report, "charges": charges, "spent": spent,
            "published_tables": _published_tables(release) if release.is_published else [],
            "remaining": (release.dp_budget - spent) if release.dp_budget is not None else None,
            "files": files, "spec_yaml": _yaml(release.spec), "dp_variables": list(compute.DP_VARIABLES),
            "dp_filters": compute.DP_FILTERS, "can_check": release.state != ReleaseState.PUBLISHED,
            "can_publish": release.state == ReleaseState.CHECKED, **extra}


def _published_tables(release) -> list[dict]:
    """The published CSV of a release, table by table, as a reader sees it (``display``)."""
    import csv
    import io

    file = release.files.filter(fmt="csv").only("content").first()
    if file is None:
        return []
    fixed = {"table_id", "measure", "value", "status", "display", "standard_version"}
    tables: dict[str, dict] = {}
    for row in csv.DictReader(io.StringIO(bytes(file.content).decode("utf-8"))):
        t = tables.setdefault(row["table_id"], {"id": row["table_id"], "measure": row.get("measure", ""),
                                                "dims": None, "rows": []})
        if t["dims"] is None:
            t["dims"] = [c for c in row if c not in fixed and row[c] != ""]
        t["rows"].append([row[d] for d in t["dims"]] + [row["display"]])
    return list(tables.values())


@login_required
def release_detail(request, ref):
    release = selectors.release_get_for_user(user=request.user, ref=ref)
    return render(request, "analytics/release_detail.html", _release_context(request, release))


@login_required
@require_POST
def release_check(request, ref):
    release = selectors.release_get_for_user(user=request.user, ref=ref)
    try:
        services.release_check(user=request.user, release=release)
    except LanternError as exc:
        messages.error(request, _("The disclosure check failed; the release stays a draft: %(e)s") % {"e": exc})
    else:
        messages.success(request, _("Disclosure check passed: the release can be published."))
    return redirect("analytics-release-detail", ref=release.ref)


@login_required
@require_POST
def release_publish(request, ref):
    release = selectors.release_get_for_user(user=request.user, ref=ref)
    try:
        services.release_publish(user=request.user, release=release)
    except LanternError as exc:
        messages.error(request, _("Not published: %(e)s") % {"e": exc})
    else:
        messages.success(request, _("Published. The release can no longer change."))
    return redirect("analytics-release-detail", ref=release.ref)


@login_required
def release_download(request, ref, fmt):
    """A file of a published release as it was published (CSV, Excel, or the disclosure report as JSON)."""
    release = selectors.release_get_for_user(user=request.user, ref=ref, audit=True)
    file = release.files.filter(fmt=fmt).first() if release.is_published else None
    if file is None:
        raise Http404("No such file")
    types = {"csv": "text/csv; charset=utf-8", "json": "application/json", "crim_thb": "text/csv; charset=utf-8",
             "dp": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    response = HttpResponse(bytes(file.content), content_type=types.get(fmt, "application/octet-stream"))
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    return response


@login_required
@require_POST
def release_dp(request, ref):
    """A differentially private count against the release's budget: ``action=plan`` shows the accuracy and
    what it would spend; ``action=run`` spends ε and stores the noisy counts (refused past the budget)."""
    from lantern.statistics.dp import BudgetExceeded

    release = selectors.release_get_for_user(user=request.user, ref=ref)
    by = [request.POST.get("by1", ""), request.POST.get("by2", "")]
    where = request.POST.get("where", "persons")
    epsilon = request.POST.get("epsilon", "")
    action = request.POST.get("action", "plan")
    extra: dict = {"dp_form": request.POST}
    status = 200
    try:
        if action == "run":
            charge = services.dp_query_run(user=request.user, release=release, epsilon=epsilon, by=by, where=where)
            extra["dp_done"] = charge
        else:
            extra["dp_plan"] = services.dp_query_plan(user=request.user, release=release, epsilon=epsilon, by=by,
                                                      where=where)
    except BudgetExceeded as exc:
        extra["dp_problems"] = exc.problems
        extra["dp_refused"] = True
        status = 409
    except LanternError as exc:
        extra["dp_problems"] = exc.problems
        status = 422
    release.refresh_from_db()
    template = "analytics/_dp.html" if request.htmx else "analytics/release_detail.html"
    return render(request, template, _release_context(request, release, **extra), status=status)


@login_required
def sources_national(request):
    """Cross-agency data-source suitability for a national anti-trafficking agency's analyst: the registers
    shared with the agency, linked on Bloom-filter encodings; aggregates only, disclosure-controlled.
    ``?run=1`` computes (seconds: the linkage trains a model); ``&format=json`` downloads the figures."""
    import json

    selectors.require_national(request.user)
    ctx: dict = {"contributors": selectors.contributing_agencies(user=request.user)}
    status = 200
    if request.GET.get("run"):
        try:
            ctx["report"] = compute.national_sources(user=request.user)
        except LanternError as exc:
            ctx["problems"], status = exc.problems, 422
        if "report" in ctx and request.GET.get("format") == "json":
            response = HttpResponse(json.dumps(ctx["report"], indent=1), content_type="application/json")
            response["Content-Disposition"] = f'attachment; filename="sources-national-{request.user.agency.key}.json"'
            return response
    if "report" in ctx:
        names = [s["agency"] for s in ctx["report"]["sources"]]
        ctx["names"] = names
        ctx["overlap_rows"] = [(s["agency"], [s["overlap"].get(n) for n in names]) for s in ctx["report"]["sources"]]
    return render(request, "analytics/sources_national.html", ctx, status=status)


@login_required
def sharing(request):
    """The agency administrator's data-sharing records: contribute the agency's register to a national
    anti-trafficking agency's cross-source report, or stop contributing (each change audited)."""
    rows = selectors.sharing_for_contributor(user=request.user)
    if request.method == "POST":
        action, key = request.POST.get("action", ""), request.POST.get("agency", "")
        try:
            if action == "enable":
                services.sharing_enable(user=request.user, recipient_key=key)
                messages.success(request, _("Your register is now shared with %(a)s for its source report.")
                                 % {"a": key})
            elif action == "disable":
                services.sharing_disable(user=request.user, recipient_key=key)
                messages.success(request, _("Your register is no longer shared with %(a)s.") % {"a": key})
            else:
                raise LanternError(_("Choose enable or disable."), field="action", record="form")
        except LanternError as exc:
            return render(request, "analytics/sharing.html", {"rows": rows, "problems": exc.problems}, status=422)
        return redirect("analytics-sharing")
    return render(request, "analytics/sharing.html", {"rows": rows})
