"""Forms of the network pages. Django checks the types; the services check the rules, and their problems are
put next to their fields (``ProblemsMixin``). Choices come from the standard and the directory."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lantern.platform import vocab
from lantern.platform.network import kpis
from lantern.platform.network.models import ActionStatus, Claimed, Organisation, Visibility
from lantern.platform.network.services import AREAS, RECOMMENDATIONS
from lantern.platform.web.forms import ProblemsMixin

AREA_LABELS = {
    "identification": _("Identification of victims"),
    "assistance_shelter": _("Assistance and shelter"),
    "reflection_period": _("Recovery and reflection period"),
    "residence_permit": _("Residence permit"),
    "labour_inspection": _("Labour inspection"),
    "criminal_investigation": _("Criminal investigation"),
    "child_protection": _("Child protection"),
    "return": _("Safe return"),
    "coordination": _("National coordination and monitoring"),
}


def area_label(area: str) -> str:
    return str(AREA_LABELS.get(area, area))


def intervention_choices(lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The catalogue's interventions grouped by strand (optgroups)."""
    from lantern.platform.interventions.catalogue import catalogue

    cat = catalogue()
    groups: dict[str, list[tuple[str, str]]] = {}
    for i in cat.interventions:
        groups.setdefault(cat.strand_label(i.strand, lang), []).append((i.id, i.label(lang)))
    return list(groups.items())


def organisation_choices(*, blank: bool = False) -> list[tuple[str, str]]:
    rows = [(o.key, f"{o.name} ({o.country})") for o in Organisation.objects.order_by("country", "name")]
    return ([("", "—")] if blank else []) + rows


class OrganisationForm(ProblemsMixin, forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=60, help_text=_("Lower-case letters, digits and dashes."))
    name = forms.CharField(label=_("Name"), max_length=200)
    type = forms.ChoiceField(label=_("Type of organisation"))
    country = forms.ChoiceField(label=_("Country"))
    region = forms.CharField(label=_("Region"), max_length=120, required=False)
    interventions = forms.MultipleChoiceField(label=_("Services offered (interventions of the toolkit)"),
                                              required=False, widget=forms.SelectMultiple(attrs={"size": 10}))
    languages = forms.CharField(label=_("Languages spoken"), required=False, max_length=400,
                                help_text=_("ISO 639 codes separated by commas, e.g. ro, en, ne, hi."))
    contact_role = forms.CharField(label=_("Contact point (a role, not a person)"), max_length=120, required=False,
                                   help_text=_("e.g. Duty officer for referrals"))
    contact_email = forms.CharField(label=_("Contact e-mail (a role mailbox)"), max_length=254, required=False,
                                    help_text=_("An organisation's mailbox such as referrals@…, never a person's "
                                                "private address."))
    website = forms.CharField(label=_("Website"), max_length=200, required=False)

    def __init__(self, *args, lang: str = "en", editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = vocab.code_choices("agency_type")
        self.fields["country"].choices = vocab.country_choices()
        self.fields["interventions"].choices = intervention_choices(lang)
        if editing:
            del self.fields["key"]


class ResponsibilityForm(ProblemsMixin, forms.Form):
    area = forms.ChoiceField(label=_("Area"), choices=[(a, AREA_LABELS[a]) for a in AREAS])
    agency_type = forms.ChoiceField(label=_("Responsible type of organisation"), required=False)
    organisation = forms.ChoiceField(label=_("Responsible organisation (named)"), required=False)
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    verified = forms.BooleanField(label=_("Verified against the text of the law"), required=False)
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency_type"].choices = [("", "—"), *vocab.code_choices("agency_type")]
        self.fields["organisation"].choices = organisation_choices(blank=True)


class PlanForm(ProblemsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    recommendations = forms.MultipleChoiceField(
        label=_("Recommendations of the report it implements"), required=False,
        choices=[(r, r) for r in RECOMMENDATIONS], widget=forms.CheckboxSelectMultiple)
    visibility = forms.ChoiceField(label=_("Visible to"), choices=Visibility.choices)
    participants = forms.MultipleChoiceField(label=_("Participating organisations"), required=False,
                                             widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].choices = organisation_choices()


class ActionForm(ProblemsMixin, forms.Form):
    title = forms.CharField(label=_("Action"), max_length=300)
    responsible = forms.ChoiceField(label=_("Responsible organisation"))
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    claimed = forms.ChoiceField(label=_("CLAIMED step"), required=False, choices=[("", "—"), *Claimed.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].choices = organisation_choices(blank=True)


class ActionUpdateForm(ProblemsMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))


class KpiForm(ProblemsMixin, forms.Form):
    name = forms.CharField(label=_("Indicator"), max_length=200)
    definition = forms.CharField(label=_("Definition"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    metric = forms.ChoiceField(label=_("Computed from the platform"), required=False)
    target = forms.CharField(label=_("Target"), required=False, max_length=20)
    baseline = forms.CharField(label=_("Baseline"), required=False, max_length=20)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=40)
    source = forms.CharField(label=_("Source"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [("", _("— entered by hand —")), *kpis.METRICS.items()]


class KpiValueForm(ProblemsMixin, forms.Form):
    period = forms.CharField(label=_("Period"), max_length=7, help_text=_("2026 or 2026-Q3"))
    value = forms.CharField(label=_("Value"), max_length=20)
    source = forms.CharField(label=_("Source"), required=False, max_length=300)


class NoteForm(ProblemsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=[("en", "English"), ("ro", "Română")])
    body = forms.CharField(label=_("Text (markdown: headings, lists, bold, links)"), max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 8}))
