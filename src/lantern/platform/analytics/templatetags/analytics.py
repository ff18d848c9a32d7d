from django import template

from lantern.platform.roles import has_capability

register = template.Library()


@register.filter
def can(user, capability):
    """``{% if user|can:"assessment.analyse" %}`` — the role's capability (roles.CAPABILITIES)."""
    return has_capability(user, capability)


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
