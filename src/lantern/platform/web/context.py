from lantern.platform.roles import has_capability


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_cases": has_capability(user, "case.read"), "nav_intake": has_capability(user, "case.write"),
            "nav_audit": has_capability(user, "audit.read"), "nav_admin": has_capability(user, "agency.admin")}
