"""Exports round-trip: JSON Schema validates assessments, the XLSForm converts with pyxform, the CSV
has one row per item, the HTML shows every item; files are written atomically."""

from __future__ import annotations

import csv
import json
import random
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook
from pyxform import xls2xform

from lantern.cli import main
from lantern.errors import LanternError
from lantern.standard import export as ex
from lantern.standard.questionnaire import evaluate, to_xpath


def _assessment(std, seed: int) -> dict:
    """A generated (never real) assessment with answers drawn from the standard's own code lists."""
    rng = random.Random(seed)
    row: dict = {}
    for col in std.assessment_columns():
        if col.kind in ("indicator", "factor") or col.dtype == "flag":
            row[col.name] = rng.choice([1, 0, None])
        elif col.code_list:
            row[col.name] = rng.choice(std.code_list(col.code_list).ids() + [None])
        elif col.dtype == "int":
            row[col.name] = rng.choice([None, rng.randint(0, 90)])
        elif col.dtype == "date":
            row[col.name] = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        else:
            row[col.name] = f"x{rng.randint(1, 999)}"
    row["standard_version"] = std.version
    row["languages_spoken"] = rng.sample(std.code_list("language").ids(), 2)
    row["journey"] = [
        {"leg_no": n, "from_country": a, "to_country": b, "mode": rng.choice(std.code_list("leg_mode").ids()),
         "entry_date": "2025-03-01", "intra_eu": int(std.countries[a].eu and std.countries[b].eu)}
        for n, (a, b) in enumerate([("NP", "AE"), ("AE", "RO"), ("RO", "DE")], start=1)
    ]
    return row


@pytest.fixture(scope="module")
def schema(std):
    return ex.json_schema(std)


def test_json_schema_is_a_valid_2020_12_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_json_schema_accepts_generated_assessments(std, schema):
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for seed in range(25):
        errors = [e.message for e in validator.iter_errors(_assessment(std, seed))]
        assert errors == [], (seed, errors[:3])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sex", "F"),
        ("deceptive_recruitment.nature_of_job", 2),
        ("individual.debt", "yes"),
        ("identified_victim", "yes"),  # stored as 1 / 0 / null like the items
        ("citizenship", "XX"),
        ("age", -1),
        ("interview_date", "04/12/2025"),
        ("standard_version", "0.9"),
        ("nickname", "not a field"),
    ],
)
def test_json_schema_rejects_bad_values(std, schema, field, value):
    row = _assessment(std, 1)
    row[field] = value
    errors = list(jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(row))
    assert errors


def test_json_schema_required_and_journey(std, schema):
    assert {"assessment_id", "subject_ref", "standard_version", "agency", "interview_date"} <= set(schema["required"])
    row = _assessment(std, 2)
    del row["subject_ref"]
    row["journey"][0]["mode"] = "teleport"
    paths = {tuple(e.absolute_path) for e in jsonschema.Draft202012Validator(schema).iter_errors(row)}
    assert ("journey", 0, "mode") in paths and () in paths


def test_xlsform_converts_with_pyxform(std, tmp_path):
    out = ex.write_xlsform(std, tmp_path / "intake.xlsx")
    warnings: list[str] = []
    result = xls2xform.convert(str(out), warnings=warnings)
    xform = result.xform
    assert "<h:html" in xform and 'jr:template=""' in xform  # the repeat (journey legs)
    assert 'lang="English (en)"' in xform and 'lang="Română (ro)"' in xform
    assert "deceptive_recruitment.nature_of_job" in xform
    assert not [w for w in warnings if "error" in w.lower()]


def test_xlsform_sheets(std, tmp_path):
    out = ex.write_xlsform(std, tmp_path / "intake.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in wb["survey"][1]]
    assert {"label::English (en)", "label::Română (ro)", "hint::Română (ro)", "relevant"} <= set(header)
    survey = [dict(zip(header, (c.value for c in row), strict=False)) for row in wb["survey"].iter_rows(min_row=2)]
    names = [r["name"] for r in survey if r["name"]]
    first_question = next(r for r in survey if r["type"] and not r["type"].startswith(("begin", "end", "note")))
    assert first_question["name"] == "consent_assessment"  # consent first
    for ind in std.indicators:
        assert ind.id in names
    rows = {r["name"]: r for r in survey if r["name"]}
    assert rows["deceptive_recruitment.wages"]["type"] == "select_one answer"
    assert rows["deceptive_recruitment.wages"]["label::Română (ro)"] == std.indicator("deceptive_recruitment.wages").ask("ro")
    assert rows["identified_victim"]["type"] == "select_one answer"
    assert "ANITP" in rows["identified_victim"]["hint::Română (ro)"]
    assert rows["identified_victim"]["label::Română (ro)"].startswith("A fost persoana identificată formal")
    assert rows["journey_legs"]["type"] == "begin_repeat"
    assert rows["mode"]["type"] == "select_one leg_mode"
    assert "selected(${consent_purposes}, 'referral')" in rows["consent_scope"]["relevant"]
    assert "${age} < 18" in rows["abusive_recruitment.lack_of_parental_care"]["relevant"]
    ch_header = [c.value for c in wb["choices"][1]]
    choices = [dict(zip(ch_header, (c.value for c in row), strict=False)) for row in wb["choices"].iter_rows(min_row=2)]
    by_list: dict[str, list[str]] = {}
    for c in choices:
        by_list.setdefault(c["list_name"], []).append(c["name"])
    assert by_list["sector"] == std.code_list("sector").active_ids()
    assert by_list["answer"] == ["yes", "no", "unknown"]
    assert len(by_list["country"]) == len(std.countries)
    assert all(c["label::Română (ro)"] for c in choices)


def test_csv_one_row_per_item(std, tmp_path):
    out = ex.write_csv(std, tmp_path / "dictionary.csv")
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    assert kinds["indicator"] == len(std.indicators)
    assert kinds["factor"] == len(std.factors)
    assert kinds["dimension"] == len(std.dimensions)
    assert kinds["definition"] == len(std.definitions)
    assert kinds["forced_labour_indicator"] == len(std.forced_labour_indicators)
    assert kinds["code_list"] == len(std.code_lists)
    assert kinds["code"] == sum(len(cl) for cl in std.code_lists.values())
    assert kinds["country_group"] == 3
    keys = [(r["kind"], r["parent"], r["id"]) for r in rows]
    assert len(keys) == len(set(keys))
    row = next(r for r in rows if r["id"] == "coercive_recruitment.abduction")
    assert row["grade_adult_labour"] == "medium" and row["grade_child_labour"] == "strong"
    assert row["flat_column"] == row["id"] and row["dtype"] == "flag" and row["label_ro"]
    q = next(r for r in rows if r["kind"] == "question" and r["id"] == "identified_victim")
    assert q["flat_column"] == "identified_victim" and q["dtype"] == "flag" and q["label_ro"]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids += [v for k, v in attrs if k == "id"]

    def handle_data(self, data):
        self.text.append(data)


def test_html_shows_the_whole_standard(std, tmp_path):
    out = ex.write_html(std, tmp_path / "standard.html")
    html = out.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(html)
    text = "".join(parser.text)
    for item in [*std.indicators, *std.factors, *std.definitions]:
        assert item.id in text
    assert std.indicator("coercive_recruitment.violence").label("ro") in text
    assert len(parser.ids) == len(set(parser.ids))
    assert "http://" not in html and "https://" not in html.replace("https://json-schema", "")  # no CDN
    assert "<script" not in html


def test_export_dispatch_and_atomic_write(std, tmp_path):
    with pytest.raises(LanternError, match="unknown format"):
        ex.export(std, "pdf", tmp_path / "x.pdf")
    target = tmp_path / "schema.json"
    target.write_text("old", encoding="utf-8")

    def boom(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        ex._atomic_write(target, boom)
    assert target.read_text(encoding="utf-8") == "old"  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["schema.json"]  # no temp file left behind
    with pytest.raises(LanternError, match="folder"):
        ex.export(std, "csv", tmp_path)


def test_cli_export_all_formats(tmp_path, capsys):
    for fmt, name in [("json-schema", "s.json"), ("xlsform", "f.xlsx"), ("csv", "d.csv"), ("html", "p.html")]:
        with pytest.raises(SystemExit) as exc:
            main(["standard", "export", "--format", fmt, "--out", str(tmp_path / name), "--version", "1.0"])
        assert exc.value.code in (0, None)
        assert (tmp_path / name).stat().st_size > 1000
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["title"].startswith("Lantern")
    with pytest.raises(SystemExit) as bad:
        main(["standard", "export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--version", "7.0"])
    assert bad.value.code == 2
    assert "unknown standard version" in capsys.readouterr().err


def test_relevance_conditions():
    cond = {"any": [{"field": "age", "op": "empty"}, {"field": "age", "op": "lt", "value": 18}]}
    assert evaluate(cond, {}) and evaluate(cond, {"age": 12}) and not evaluate(cond, {"age": 30})
    assert evaluate({"field": "p", "op": "selected", "value": "referral"}, {"p": ["assessment", "referral"]})
    assert not evaluate({"field": "p", "op": "selected", "value": "referral"}, {"p": ["assessment"]})
    assert evaluate({"all": [{"field": "c", "op": "eq", "value": "yes"}, {"field": "x", "op": "filled"}]},
                    {"c": "yes", "x": 1})
    assert to_xpath(cond) == "(${age} = '') or (${age} < 18)"
    assert to_xpath({"field": "c", "op": "eq", "value": "yes"}) == "${c} = 'yes'"


def test_html_in_romanian_first(std, tmp_path):
    html = ex.write_html(std, tmp_path / "ro.html", lang="ro").read_text(encoding="utf-8")
    assert '<html lang="ro">' in html
    ro, en = std.indicator("coercion_at_destination.debt_bondage").ask("ro"), \
        std.indicator("coercion_at_destination.debt_bondage").ask("en")
    assert html.index(ro) < html.index(en)
    with pytest.raises(LanternError, match="page language"):
        ex.render_html(std, "fr")


@pytest.mark.skipif(__import__("shutil").which("java") is None, reason="ODK Validate needs java")
def test_xlsform_passes_odk_validate(std, tmp_path):
    # pyxform ships ODK Validate (the JavaRosa parser ODK Collect uses); it raises on an invalid form
    out = ex.write_xlsform(std, tmp_path / "intake.xlsx")
    warnings: list[str] = []
    xls2xform.convert(str(out), warnings=warnings, validate=True)
    assert not [w for w in warnings if "error" in w.lower()]
