"""Forms generated from the data standard. Each form's ``clean`` runs the same validation as the services
(``cases.validation``) and puts every problem next to its field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lantern.errors import Problem
from lantern.platform import vocab
from lantern.platform.cases import validation


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _choices(list_name: str, *, blank: bool) -> list[tuple[str, str]]:
    choices = vocab.code_choices(list_name)
    return ([("", "—")] + choices) if blank else choices


class ProblemsMixin:
    """Puts validation problems next to their fields (or on the form when the field is not on it), and marks
    the fields in error for assistive technology (``aria-invalid``, ``aria-describedby`` → the message)."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}-error"})

    def add_problems(self, problems: list[Problem]) -> None:
        for p in problems:
            name = p.field if p.field in self.fields else None
            reason = p.reason if name or not p.field else f"{p.field}: {p.reason}"
            if name and name in self.errors:
                continue  # Django's own error for the field is enough
            self.add_error(name, reason)


class ConsentForm(ProblemsMixin, forms.Form):
    """Consent as the standard's questionnaire asks it: purposes (several), the scope when a referral is
    agreed, who gave it and when."""

    consent_given = forms.BooleanField(
        label=_("The person was informed and consents to this interview being recorded"), required=True)
    purposes = forms.MultipleChoiceField(label=_("Purposes agreed"), widget=forms.CheckboxSelectMultiple)
    scope = forms.ChoiceField(label=_("Scope of sharing (when a referral is agreed)"), required=False)
    named_agency = forms.ChoiceField(label=_("The organisation the person named (scope: a named organisation)"),
                                     required=False)
    given_by = forms.ChoiceField(label=_("Given by"))
    given_on = forms.DateField(label=_("Date"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        from lantern.platform.accounts.models import Agency

        super().__init__(*args, **kwargs)
        self.fields["purposes"].choices = _choices("consent_purpose", blank=False)
        self.fields["scope"].choices = _choices("consent_scope", blank=True)
        self.fields["named_agency"].choices = [("", "—")] + list(Agency.objects.order_by("name").values_list("key", "name"))
        self.fields["given_by"].choices = _choices("consent_given_by", blank=True)

    def clean(self):
        data = super().clean()
        problems: list[Problem] = []
        validation.parse_date(data.get("given_on"), field="given_on", record=None, problems=problems)
        if "referral" in (data.get("purposes") or []) and not data.get("scope"):
            problems.append(Problem(str(_("Say with whom the record may be shared.")), field="scope"))
        if data.get("scope") == "named_agency" and not data.get("named_agency"):
            problems.append(Problem(str(_("Choose the organisation the person named.")), field="named_agency"))
        elif data.get("scope") != "named_agency":
            data["named_agency"] = ""  # only a named-organisation consent names one
        self.add_problems(problems)
        return data


IDENTITY_LABELS = {
    "given_name": _("Given name(s)"),
    "family_name": _("Family name"),
    "date_of_birth": _("Date of birth"),
    "document_numbers": _("Document numbers (passport, residence permit)"),
    "phone": _("Phone"),
}
CORE_LABELS = {
    "interview_date": _("Date of interview"),
    "sex": _("Sex"),
    "age": _("Age (years)"),
    "citizenship": _("Citizenship"),
    "country_of_interview": _("Country of interview"),
    "region": _("Region"),
    "legal_status": _("Legal status"),
    "education": _("Education"),
    "sector": _("Sector of work"),
    "exploitation_form": _("Suspected form of exploitation"),
    "identified_victim": _("Formally identified as a victim of trafficking (national referral mechanism)"),
}


class DemographicsForm(ProblemsMixin, forms.Form):
    """Identifiers (optional, encrypted) and the core columns of the flat format."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("given_name", "family_name"):
            self.fields[name] = forms.CharField(label=IDENTITY_LABELS[name], required=False, max_length=200)
        self.fields["date_of_birth"] = forms.DateField(label=IDENTITY_LABELS["date_of_birth"], required=False,
                                                       widget=DateInput())
        self.fields["document_numbers"] = forms.CharField(label=IDENTITY_LABELS["document_numbers"], required=False,
                                                          max_length=300)
        self.fields["phone"] = forms.CharField(label=IDENTITY_LABELS["phone"], required=False, max_length=25)
        for col in vocab.core_columns():
            name = col.name
            if name in ("assessment_id", "subject_ref", "agency", "standard_version"):
                continue
            label = CORE_LABELS.get(name, name)
            if col.dtype == "date":
                field = forms.DateField(label=label, required=col.required, widget=DateInput())
            elif col.dtype == "int":
                field = forms.IntegerField(label=label, required=col.required, min_value=0, max_value=120)
            elif col.dtype == "flag":  # yes / no / unknown (identified_victim); empty is unknown
                field = forms.ChoiceField(label=label, required=False, choices=_choices("answer", blank=True))
            elif col.code_list:
                field = forms.ChoiceField(label=label, required=col.required,
                                          choices=_choices(col.code_list, blank=True))
            else:
                field = forms.CharField(label=label, required=col.required, max_length=120)
            self.fields[name] = field
        self.identity_fields = [self[n] for n in validation.IDENTITY_FIELDS]
        self.core_fields = [self[n] for n in self.fields if n not in validation.IDENTITY_FIELDS]

    def clean(self):
        data = super().clean()
        problems: list[Problem] = []
        validation.clean_identity(data, problems=problems)
        core = {k: v for k, v in data.items() if k not in validation.IDENTITY_FIELDS}
        core["standard_version"] = vocab.current_version()
        validation.clean_assessment(core, date_of_birth=data.get("date_of_birth"), problems=problems,
                                    answers_required=False)
        self.add_problems(problems)
        return data


class AnswersForm(ProblemsMixin, forms.Form):
    """One yes / no / unknown question per indicator (or factor) of a section; every one must be answered."""

    def __init__(self, *args, sections: list[vocab.Section], **kwargs):
        super().__init__(*args, **kwargs)
        answer_choices = _choices("answer", blank=False)
        self.sections = []
        for section in sections:
            bound = []
            for q in section.questions:
                self.fields[q.id] = forms.ChoiceField(
                    label=q.text, help_text=q.hint if q.hint != q.text else "", choices=answer_choices,
                    widget=forms.RadioSelect, required=True,
                    error_messages={"required": _("Choose yes, no or unknown.")},
                )
                bound.append(self[q.id])
            self.sections.append((section, bound))


class LegForm(ProblemsMixin, forms.Form):
    country = forms.ChoiceField(label=_("Country"))
    entry_date = forms.DateField(label=_("Entry date"), required=False, widget=DateInput())
    exit_date = forms.DateField(label=_("Exit date"), required=False, widget=DateInput())
    mode = forms.ChoiceField(label=_("Arrived by"), required=False)
    crossing_point = forms.CharField(label=_("Crossing point"), required=False, max_length=120)
    facilitator_type = forms.ChoiceField(label=_("Facilitated by"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—")] + vocab.country_choices()
        self.fields["mode"].choices = _choices("leg_mode", blank=True)
        self.fields["facilitator_type"].choices = _choices("facilitator_type", blank=True)

    def clean(self):
        data = super().clean()
        problems: list[Problem] = []
        validation.clean_leg(data, problems=problems)
        self.add_problems(problems)
        return data


class GrantForm(ProblemsMixin, forms.Form):
    agency = forms.ChoiceField(label=_("Agency"))
    reason = forms.CharField(label=_("Reason (referral, consent it rests on)"), max_length=300)
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=365, initial=90)

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(a.key, a.name) for a in agencies]
