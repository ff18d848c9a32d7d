"""URL configuration."""

from django.urls import include, path

from lantern.platform.api.views import api
from lantern.platform.web import views as web

urlpatterns = [
    path("healthz", web.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("lantern.platform.interventions.urls")),
    path("analytics/", include("lantern.platform.analytics.urls")),
    path("", include("lantern.platform.referrals.urls")),
    path("", include("lantern.platform.network.urls")),
    path("", include("lantern.platform.retention.urls")),
    path("", include("lantern.platform.accounts.urls")),
    path("", include("lantern.platform.web.urls")),
]

handler404 = "lantern.platform.web.views.not_found"
handler403 = "lantern.platform.web.views.forbidden"
