from django.urls import path

from lantern.platform.network import views

urlpatterns = [
    path("network/", views.directory, name="network-directory"),
    path("network/organisations/new/", views.organisation_create, name="network-organisation-create"),
    path("network/organisations/<slug:key>/", views.organisation_detail, name="network-organisation"),
    path("network/organisations/<slug:key>/edit/", views.organisation_edit, name="network-organisation-edit"),
    path("network/responsibilities/", views.responsibilities, name="network-responsibilities"),
    path("network/responsibilities/new/", views.responsibility_create, name="network-responsibility-create"),
    path("network/responsibilities/<int:pk>/edit/", views.responsibility_edit, name="network-responsibility-edit"),
    path("network/plans/", views.plan_list, name="network-plans"),
    path("network/plans/new/", views.plan_create, name="network-plan-create"),
    path("network/plans/<str:ref>/", views.plan_detail, name="network-plan"),
    path("network/plans/<str:ref>/edit/", views.plan_edit, name="network-plan-edit"),
    path("network/plans/<str:ref>/actions/", views.plan_action_add, name="network-plan-action-add"),
    path("network/plans/<str:ref>/actions/<int:action_id>/", views.plan_action_update,
         name="network-plan-action-update"),
    path("network/plans/<str:ref>/kpis/", views.plan_kpi_add, name="network-plan-kpi-add"),
    path("network/plans/<str:ref>/kpis/refresh/", views.plan_kpis_refresh, name="network-plan-kpis-refresh"),
    path("network/plans/<str:ref>/kpis/<int:kpi_id>/values/", views.kpi_value_record, name="network-kpi-value"),
    path("network/plans/<str:ref>/notes/", views.briefing_note_add, name="network-plan-note-add"),
]
