"""Plan item forms. Django checks the types; the service (``services.clean_item``) checks the rules and its
problems are put next to their fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lantern.platform import vocab
from lantern.platform.interventions.catalogue import catalogue, lang_of
from lantern.platform.interventions.models import Status
from lantern.platform.web.forms import DateInput, ProblemsMixin


def intervention_choices(lang: str) -> list:
    """The catalogue's interventions grouped by strand (``<optgroup>``), in ``lang``."""
    cat = catalogue()
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in cat.interventions:
        groups.setdefault(cat.strand_label(item.strand, lang), []).append((item.id, item.label(lang)))
    return [("", "—")] + [(strand, items) for strand, items in groups.items()]


def provider_choices() -> list[tuple[str, str]]:
    return [("", "—")] + vocab.code_choices("agency_type")


class PlanItemUpdateForm(ProblemsMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    provider = forms.ChoiceField(label=_("Responsible agency type"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = provider_choices()


class PlanItemAddForm(PlanItemUpdateForm):
    # a plain field with a select widget: the service names an unknown id in its own words
    intervention = forms.CharField(label=_("Intervention"), max_length=80, widget=forms.Select)
    source_assessment = forms.CharField(required=False, widget=forms.HiddenInput)
    field_order = ["intervention", "status", "due_date", "provider", "note"]

    def __init__(self, *args, lang: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intervention"].widget.choices = intervention_choices(lang_of(lang))
        self.order_fields(self.field_order)
