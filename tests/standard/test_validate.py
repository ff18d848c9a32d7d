"""`validate` on the packaged standard and on broken copies of it (written to a temp folder)."""

from __future__ import annotations

import pytest

from lantern.cli import main
from lantern.errors import LanternError, ValidationError
from lantern.standard.validate import check, validate

from .conftest import read, write


def _find(problems, *, record=None, field=None, text=None):
    return [
        p for p in problems
        if (record is None or record in (p.record or ""))
        and (field is None or p.field == field)
        and (text is None or text in p.reason)
    ]


def test_packaged_standard_is_valid():
    assert validate() == []
    check()


def test_unchanged_copy_is_valid(draft):
    assert validate(draft) == []


def test_duplicate_id(draft):
    doc = read(draft, "factors")
    doc["factors"].append(dict(doc["factors"][0]))
    write(draft, "factors", doc)
    problems = validate(draft)
    assert _find(problems, record="factors.yaml / individual.minor", field="id", text="duplicate")


def test_duplicate_code_in_code_list(draft):
    doc = read(draft, "code_lists")
    doc["code_lists"]["sex"]["items"].append({"id": "male", "labels": {"en": "M", "ro": "M"}, "description": "x"})
    write(draft, "code_lists", doc)
    assert _find(validate(draft), record="code_lists.yaml / male", field="id", text="duplicate")


def test_dangling_references(draft):
    ind = read(draft, "indicators")
    ind["indicators"][0]["dimension"] = "no_such_dimension"
    ind["forced_labour_2012"]["items"][0]["ilo_ec"].append("deceptive_recruitment.nope")
    write(draft, "indicators", ind)
    fac = read(draft, "factors")
    fac["factors"][1]["kind"] = "neutral"
    write(draft, "factors", fac)
    maps = read(draft, "mappings")
    maps["mappings"]["ctdc"]["variables"]["means_of_control"]["items"]["coercion_at_destination.ghost"] = "x"
    maps["mappings"]["eurostat"]["variables"]["form"]["codes"]["trafficking_of_cats"] = "other"
    write(draft, "mappings", maps)
    problems = validate(draft)
    assert _find(problems, record="deceptive_recruitment.nature_of_job", field="dimension", text="does not exist")
    assert _find(problems, record="abuse_of_vulnerability", field="ilo_ec", text="deceptive_recruitment.nope")
    assert _find(problems, record="individual.language_barrier", field="kind", text="neutral")
    assert _find(problems, record="ctdc.means_of_control", field="items", text="ghost")
    assert _find(problems, record="eurostat.form", field="codes", text="trafficking_of_cats")


def test_dangling_reference_in_other_documents(draft):
    # the screening helper's interventions.yaml / scoring.yaml, or any other YAML file
    (draft / "extra.yaml").write_text(
        "things:\n  - id: t1\n    factors: [individual.debt, individual.unicorn]\n"
        "    dimensions: [coercion_at_destination, nowhere]\n"
        "    indicators: [coercive_recruitment.violence]\n"
        "factor_overrides: {household.ghost: 3}\n",
        encoding="utf-8",
    )
    problems = validate(draft)
    assert _find(problems, record="extra.yaml / t1", field="factors", text="individual.unicorn")
    assert _find(problems, record="extra.yaml / t1", field="dimensions", text="nowhere")
    assert _find(problems, record="extra.yaml", field="factor_overrides", text="household.ghost")
    assert not _find(problems, text="individual.debt")


def test_missing_ro_label(draft):
    doc = read(draft, "indicators")
    del doc["indicators"][5]["labels"]["ro"]
    doc["indicators"][6]["question"]["ro"] = "  "
    write(draft, "indicators", doc)
    cl = read(draft, "code_lists")
    cl["code_lists"]["sector"]["items"][0]["labels"].pop("ro")
    write(draft, "code_lists", cl)
    problems = validate(draft)
    ind5, ind6 = doc["indicators"][5]["id"], doc["indicators"][6]["id"]
    assert _find(problems, record=ind5, field="labels.ro")
    assert _find(problems, record=ind6, field="question.ro")
    assert _find(problems, record="sector.agriculture", field="labels.ro")
    assert len(problems) == 3  # every problem, nothing else


def test_version_must_be_stated(draft):
    meta = read(draft, "standard")
    del meta["version"]
    write(draft, "standard", meta)
    assert _find(validate(draft), record="standard.yaml", field="version")
    meta["version"] = 1.0  # unquoted: a float, not a version string
    write(draft, "standard", meta)
    assert _find(validate(draft), record="standard.yaml", field="version")


def test_required_fields_and_bad_grades(draft):
    doc = read(draft, "indicators")
    del doc["indicators"][0]["description"]
    doc["indicators"][1]["verified"] = "yes"
    doc["indicators"][2]["grades"] = {"adult_labour": "very strong", "teen_labour": "weak"}
    del doc["indicators"][3]["id"]
    write(draft, "indicators", doc)
    problems = validate(draft)
    assert _find(problems, field="description", text="missing description")
    assert _find(problems, field="verified", text="true or false")
    assert _find(problems, field="grades.adult_labour", text="very strong")
    assert _find(problems, field="grades.teen_labour", text="unknown list")
    assert _find(problems, record="indicator #4", field="id", text="missing id")


def test_country_code_read_as_boolean(draft):
    # YAML 1.1 reads an unquoted NO (Norway) as false
    (draft / "countries.yaml").write_text(
        (draft / "countries.yaml").read_text(encoding="utf-8").replace('"NO"', "NO").replace("IS, LI", "IS, XX, LI", 1),
        encoding="utf-8",
    )
    problems = validate(draft)
    assert _find(problems, record="countries.yaml / eea", field="members", text="quote")
    assert _find(problems, record="countries.yaml / eea", field="members", text="'XX'")


def test_flat_columns_may_extend_the_head_but_not_change_it(draft):
    q = read(draft, "questionnaire")
    flat = q["flat_columns"]
    assert flat.index("identified_victim") == 14  # right after the fixed head
    q["flat_columns"] = flat[:14] + ["ghost_column"] + flat[14:]
    write(draft, "questionnaire", q)
    problems = validate(draft)
    assert _find(problems, field="flat_columns", text="'ghost_column' is not a question")
    assert not _find(problems, field="flat_columns", text="docs/architecture.md")
    # moved into the head, it breaks the contract
    q["flat_columns"] = flat[:3] + ["identified_victim"] + [c for c in flat[3:] if c != "identified_victim"]
    write(draft, "questionnaire", q)
    assert _find(validate(draft), field="flat_columns", text="docs/architecture.md")


def test_questionnaire_checks(draft):
    q = read(draft, "questionnaire")
    q["flat_columns"] = [c for c in q["flat_columns"] if c != "region"]
    q["sections"][2]["questions"][1]["code_list"] = "no_such_list"
    q["sections"][3]["questions"][1]["relevant"] = {"field": "ghost_question", "op": "empty"}
    write(draft, "questionnaire", q)
    problems = validate(draft)
    assert _find(problems, field="flat_columns", text="docs/architecture.md")
    assert _find(problems, field="code_list", text="no_such_list")
    assert _find(problems, field="relevant", text="ghost_question")


def test_yaml_syntax_error_names_file_and_line(draft):
    (draft / "factors.yaml").write_text("factors:\n  - {id: a, labels: [\n", encoding="utf-8")
    problems = validate(draft)
    assert problems and problems[0].record == "factors.yaml" and "line" in problems[0].reason


def test_missing_file(draft):
    (draft / "mappings.yaml").unlink()
    assert _find(validate(draft), record="mappings.yaml", text="required file is missing")


def test_check_raises_with_every_problem(draft):
    doc = read(draft, "factors")
    doc["factors"][0]["labels"] = {"en": "x"}
    doc["factors"][1]["labels"] = {"ro": "y"}
    write(draft, "factors", doc)
    with pytest.raises(ValidationError) as exc:
        check(draft)
    assert isinstance(exc.value, LanternError)
    assert len(exc.value.problems) == 2


def test_cli_validate_exit_codes(draft, capsys):
    with pytest.raises(SystemExit) as ok:
        main(["standard", "validate", "--path", str(draft)])
    assert ok.value.code in (0, None)
    assert "valid" in capsys.readouterr().out
    doc = read(draft, "factors")
    doc["factors"].append(dict(doc["factors"][0]))
    write(draft, "factors", doc)
    with pytest.raises(SystemExit) as bad:
        main(["standard", "validate", "--path", str(draft)])
    assert bad.value.code == 2
    err = capsys.readouterr().err
    assert "factors.yaml / individual.minor" in err and "duplicate" in err


def test_label_cut_at_an_unquoted_comma_is_reported(draft, tmp_path):
    # `{en: Land, sea and air, ro: ...}` parses as en="Land" plus a stray key "sea and air": the
    # English label silently loses its end. validate must name the item and the stray key.
    path = draft / "code_lists.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('{en: "Land — road (car, bus, lorry)"', "{en: Land — road (car, bus, lorry)", 1)
    path.write_text(text, encoding="utf-8")
    problems = validate(draft)
    assert _find(problems, record="leg_mode.land_road", field="labels.lorry)", text="not a label language")


def test_stray_label_key_in_another_document_is_reported(draft):
    doc = read(draft, "interventions")
    first = next(v for v in doc.values() if isinstance(v, list) and v and isinstance(v[0], dict) and "labels" in v[0])
    first[0]["labels"]["literacy and information"] = None
    write(draft, "interventions", doc)
    assert _find(validate(draft), field="labels.literacy and information", text="not a label language")
