"""The toolkit document: HTML and PDF, organised by vulnerability type and level, in English or Romanian.

The platform's public toolkit page and its PDF download call :func:`toolkit_html` and
:func:`toolkit_pdf`; the command line calls them through ``lantern toolkit``. Templates and styles are
inside the package (Jinja2), nothing is fetched from the network.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from lantern.errors import LanternError
from lantern.toolkit.catalogue import LANGS, LEVELS, Catalogue, load_catalogue

_TEXT = {
    "en": {
        "title": "Toolkit: interventions to reduce the vulnerability of third-country nationals to trafficking",
        "intro": "Interventions grouped by type of vulnerability and by risk level (from the Lantern screening score). "
                 "Pick the type of vulnerability you observed, then the level, and consider the interventions listed, "
                 "most urgent first. The caseworker decides; every referral needs the person's informed consent.",
        "standard": "Data standard version", "generated": "Generated", "level": "Level",
        "strand": "Strand", "urgency": "Urgency", "providers": "Provided by", "legal": "Legal basis",
        "addresses": "Addresses", "unverified": "(not verified against the text)", "none": "No intervention listed for this level.",
        "contents": "Contents", "catalogue": "All interventions", "count": "interventions",
        "synthetic": "The risk score behind the levels has been validated on synthetic data only.",
    },
    "ro": {
        "title": "Set de instrumente: intervenții pentru reducerea vulnerabilității resortisanților țărilor terțe la traficul de persoane",
        "intro": "Intervenții grupate după tipul de vulnerabilitate și după nivelul de risc (din scorul de evaluare Lantern). "
                 "Alegeți tipul de vulnerabilitate observat, apoi nivelul, și luați în considerare intervențiile enumerate, "
                 "cele mai urgente primele. Decizia aparține asistentului de caz; orice trimitere necesită consimțământul informat al persoanei.",
        "standard": "Versiunea standardului de date", "generated": "Generat", "level": "Nivel",
        "strand": "Domeniu", "urgency": "Urgență", "providers": "Furnizat de", "legal": "Temei legal",
        "addresses": "Abordează", "unverified": "(neverificat în textul actului)", "none": "Nicio intervenție pentru acest nivel.",
        "contents": "Cuprins", "catalogue": "Toate intervențiile", "count": "intervenții",
        "synthetic": "Scorul de risc pe care se bazează nivelurile a fost validat doar pe date sintetice.",
    },
}


def _env() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def toolkit_context(*, lang: str = "en", catalogue: Catalogue | None = None,
                    types: list[str] | None = None, levels: list[str] | None = None) -> dict[str, Any]:
    """The data the toolkit template shows (also usable by the platform's interactive page)."""
    if lang not in LANGS:
        raise LanternError(f"language must be one of {', '.join(LANGS)}", field="lang", record="toolkit")
    cat = catalogue if catalogue is not None else load_catalogue()
    chosen_levels = list(levels or LEVELS)
    for lv in chosen_levels:
        if lv not in LEVELS:
            raise LanternError(f"level must be one of {', '.join(LEVELS)}", field="level", record=lv)
    known_types = {t.id for t in cat.types}
    for t in types or []:
        if t not in known_types:
            raise LanternError(f"no vulnerability type {t!r}", field="type", record="toolkit")
    sections = []
    for vtype in cat.types:
        if types and vtype.id not in types:
            continue
        by_level = [{"level": lv, "items": [_item(i, cat, lang) for i in cat.for_type(vtype, lv)]} for lv in chosen_levels]
        sections.append({
            "id": vtype.id, "label": vtype.label(lang),
            "factors": [cat.factor_label(f, lang) for f in vtype.factors],
            "dimensions": [cat.dimension_label(d, lang) for d in vtype.dimensions],
            "levels": by_level,
        })
    return {
        "lang": lang, "t": {**_TEXT[lang], "levels": {lv: cat.level_label(lv, lang) for lv in LEVELS}}, "version": cat.version, "generated": date.today().isoformat(),
        "sections": sections, "catalogue": [_item(i, cat, lang) for i in cat.interventions],
    }


def _item(item: Any, cat: Catalogue, lang: str) -> dict[str, Any]:
    return {
        "id": item.id, "label": item.label(lang), "description": item.describe(lang),
        "strand": cat.strand_label(item.strand, lang), "urgency": item.urgency,
        "urgency_label": cat.urgency_label(item.urgency, lang),
        "providers": [cat.agency_label(p, lang) for p in item.providers],
        "legal": [{"ref": lb.ref, "verified": lb.verified} for lb in item.legal_basis],
        "addresses": [cat.factor_label(f, lang) for f in item.factors]
        + [cat.dimension_label(d, lang) for d in item.dimensions],
    }


def toolkit_html(*, lang: str = "en", catalogue: Catalogue | None = None, types: list[str] | None = None,
                 levels: list[str] | None = None) -> str:
    """The toolkit as one self-contained HTML page (inline CSS, no external resources)."""
    ctx = toolkit_context(lang=lang, catalogue=catalogue, types=types, levels=levels)
    return _env().get_template("toolkit.html").render(**ctx)


def toolkit_document(*, lang: str = "en", catalogue: Catalogue | None = None) -> Any:
    """The laid-out toolkit (a WeasyPrint ``Document``: ``.pages``, ``.write_pdf()``)."""
    from weasyprint import HTML

    html = toolkit_html(lang=lang, catalogue=catalogue)
    return HTML(string=html, base_url=str(Path(__file__).parent / "templates")).render()


def toolkit_pdf(*, lang: str = "en", catalogue: Catalogue | None = None, out: str | Path | None = None) -> bytes:
    """The toolkit as a PDF (WeasyPrint). When ``out`` is given the file is written atomically."""
    pdf = toolkit_document(lang=lang, catalogue=catalogue).write_pdf()
    if out is not None:
        write_atomic(Path(out), pdf)
    return pdf


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a file through a temporary file in the same folder, so nothing is half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
