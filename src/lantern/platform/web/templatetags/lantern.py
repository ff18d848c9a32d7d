from django import template

from lantern.platform import vocab

register = template.Library()


@register.filter
def code(value, list_name):
    """The label of a code of the standard's list, in the active language: ``{{ leg.mode|code:"leg_mode" }}``."""
    return vocab.code_label(list_name, value) if value else ""
