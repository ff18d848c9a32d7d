from django.urls import path

from lantern.platform.retention import views

urlpatterns = [
    path("agency/retention/", views.policy, name="retention-policy"),
    path("agency/retention/due/", views.due, name="retention-due"),
    path("subjects/<str:ref>/legal-hold/", views.hold_set, name="legal-hold-set"),
    path("subjects/<str:ref>/legal-hold/lift/", views.hold_lift, name="legal-hold-lift"),
]
