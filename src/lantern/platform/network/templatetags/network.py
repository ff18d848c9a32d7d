from django import template

from lantern.platform.network import selectors
from lantern.platform.roles import has_capability

register = template.Library()


@register.inclusion_tag("network/_home.html", takes_context=True)
def network_home(context):
    """The coordinator's home: the plans the agency owns or takes part in, and their overdue actions."""
    user = context["user"]
    if not has_capability(user, "network.read"):
        return {"plans": [], "overdue": []}
    return {"plans": list(selectors.plan_list_for_user(user=user)[:20]),
            "overdue": selectors.overdue_actions_for_user(user=user, limit=20)}
