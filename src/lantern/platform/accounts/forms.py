"""Forms of the agency administrator's user pages. Django checks the types; the services check the rules
(username, password policy, last administrator) and their problems are put next to their fields."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from lantern.platform.roles import Role
from lantern.platform.web.forms import ProblemsMixin


class UserCreateForm(ProblemsMixin, forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150,
        help_text=_("Letters, digits and @ . + - _ only. Not a person's full name if a shorter one will do."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}))
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices])


class RoleForm(ProblemsMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class PasswordChangeForm(ProblemsMixin, DjangoPasswordChangeForm):
    """Django's form (current password, the new one twice, the password policy)."""
