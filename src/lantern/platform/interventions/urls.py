from django.urls import path

from lantern.platform.interventions import views

urlpatterns = [
    path("subjects/<str:ref>/plan/", views.plan, name="plan"),
    path("subjects/<str:ref>/plan/items/", views.plan_item_add, name="plan-item-add"),
    path("subjects/<str:ref>/plan/items/<int:item_id>/", views.plan_item_update, name="plan-item-update"),
    path("subjects/<str:ref>/plan/items/<int:item_id>/delete/", views.plan_item_delete, name="plan-item-delete"),
    path("toolkit/", views.toolkit, name="toolkit"),
    path("toolkit/lantern-toolkit-<str:lang>.pdf", views.toolkit_pdf, name="toolkit-pdf"),
]
