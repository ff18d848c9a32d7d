"""The correction form of a saved assessment: every core field, every indicator and factor question of the
assessment's own standard version (from the questionnaire), the notes and the required reason.

The fields are lenient on purpose (text, or a select / radios over the standard's codes): the service
(``cases.services.assessment_correct``) validates the whole corrected record like an intake and reports every
problem at once, and :meth:`CorrectionForm.add_problems` puts each one next to its field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lantern.platform import vocab
from lantern.platform.cases.services import FIXED_KEYS, assessment_values
from lantern.platform.web.forms import CORE_LABELS, DateInput, ProblemsMixin

_FLAG_CODES = {1: "yes", 0: "no", None: "unknown"}


class CorrectionForm(ProblemsMixin, forms.Form):
    def __init__(self, data=None, *, assessment, **kwargs):
        from lantern.standard.questionnaire import evaluate

        std = vocab.standard_for(assessment.standard_version)
        current = assessment_values(assessment)
        initial: dict[str, Any] = {}
        super().__init__(data, **kwargs)
        answer_choices = vocab.code_choices("answer", std=std)
        self.core_fields = []
        for col in vocab.core_columns(std=std):
            name = col.name
            if name in FIXED_KEYS or name == "standard_version":
                continue
            label = CORE_LABELS.get(name, name)
            if col.required:
                label = f"{label} *"
            if col.dtype == "date":
                field = forms.CharField(label=label, required=False, widget=DateInput())
            elif col.dtype == "int":
                field = forms.CharField(label=label, required=False,
                                        widget=forms.NumberInput(attrs={"min": 0, "max": 120}))
            elif col.dtype == "flag":
                field = forms.CharField(label=label, required=False,
                                        widget=forms.Select(choices=[("", "—")] + answer_choices))
            elif col.code_list:
                field = forms.CharField(label=label, required=False, widget=forms.Select(
                    choices=[("", "—")] + vocab.code_choices(col.code_list, std=std)))
            else:
                field = forms.CharField(label=label, required=False)
            self.fields[name] = field
            value = current.get(name)
            initial[name] = (_FLAG_CODES.get(value, "") if col.dtype == "flag" else "" if value is None else str(value))
            self.core_fields.append(name)
        # every question of the questionnaire; one it does not ask for the current answers starts empty, so that
        # a correction making it relevant must answer it (as the intake would)
        conditions = {q.id: q.relevant for section in std.form() for q in section.questions}
        self.sections = []
        for section in vocab.indicator_sections(std=std) + vocab.factor_sections(std=std):
            names = []
            for q in section.questions:
                asked = evaluate(conditions.get(q.id), current)
                self.fields[q.id] = forms.CharField(
                    label=q.text, required=False, widget=forms.RadioSelect(choices=answer_choices),
                    help_text="" if asked else _("Not asked for the current answers (for example the age or the "
                                                 "suspected form): answer it only if a correction makes it asked."))
                if asked:
                    initial[q.id] = _FLAG_CODES.get(current.get(q.id), "unknown")
                names.append(q.id)
            self.sections.append((section, names))
        self.fields["notes"] = forms.CharField(label=_("Notes (no names or contact details)"), required=False,
                                               widget=forms.Textarea(attrs={"rows": 3}))
        initial["notes"] = current.get("notes", "")
        self.fields["reason"] = forms.CharField(
            label=_("Reason for the correction *"), required=False,
            help_text=_("What was wrong and how you know. Kept with the history of this interview."),
            widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}))
        self.fields["revision"] = forms.CharField(required=False, widget=forms.HiddenInput)
        initial["revision"] = str(assessment.revision)
        self.initial = {**initial, **self.initial}

    def bound_sections(self):
        return [(section, [self[n] for n in names]) for section, names in self.sections]

    def bound_core(self):
        return [self[n] for n in self.core_fields]

    def changes(self) -> dict[str, Any]:
        """The posted values as flat-format changes: every core field and the notes (the service keeps only
        those that differ), and each question that was answered."""
        data = self.cleaned_data
        out: dict[str, Any] = {name: data.get(name, "") for name in self.core_fields}
        for _section, names in self.sections:
            out.update({n: data[n] for n in names if data.get(n)})
        out["notes"] = data.get("notes", "")
        return out

    def expected_revision(self) -> int | None:
        raw = str(self.cleaned_data.get("revision") or "").strip()
        return int(raw) if raw.isdigit() else None

    def add_problems(self, problems) -> None:
        super().add_problems(problems)
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}-error"})
