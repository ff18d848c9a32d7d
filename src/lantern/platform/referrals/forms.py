"""Referral forms. Django checks the types; the services check the rules (consent scope, override, note) and
their problems are put next to their fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lantern.platform import vocab
from lantern.platform.interventions.forms import intervention_choices
from lantern.platform.web.forms import ProblemsMixin


def consent_label(consent) -> str:
    scope = vocab.code_label("consent_scope", consent.scope)
    named = f" — {consent.agency.name}" if consent.agency_id else ""
    return f"{consent.given_on:%Y-%m-%d} · {scope}{named}"


class ReferralForm(ProblemsMixin, forms.Form):
    to_agency = forms.ChoiceField(label=_("Refer to"))
    consent = forms.ChoiceField(label=_("The person's consent it rests on"), required=False)
    override_reason = forms.CharField(
        label=_("Without a consent that covers it: why (supervisors only)"), required=False, max_length=300,
        help_text=_("The receiving agency then has access for 7 days at most."))
    intervention = forms.CharField(label=_("Intervention"), required=False, max_length=80, widget=forms.Select)
    plan_item = forms.CharField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for the receiving agency"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Read before they accept, when they cannot yet open the case: say what help is needed. "
                    "Never a name, document or phone number, address or date of birth."))

    def __init__(self, *args, agencies=(), consents=(), can_override=False, lang="en", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_agency"].choices = [("", "—")] + [
            (a.key, f"{a.name} ({vocab.code_label('agency_type', a.type)})") for a in agencies]
        self.fields["consent"].choices = [("", _("— none —"))] + [(str(c.pk), consent_label(c)) for c in consents]
        self.fields["intervention"].widget.choices = intervention_choices(lang)
        if not can_override:
            del self.fields["override_reason"]


class DeclineForm(ProblemsMixin, forms.Form):
    reason = forms.CharField(label=_("Why do you decline?"), max_length=300)


class EndForm(ProblemsMixin, forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=300)
