from django.urls import path

from lantern.platform.accounts import views

urlpatterns = [
    path("accounts/password/", views.password_change, name="password-change"),
    path("agency/users/new/", views.user_create, name="agency-user-create"),
    path("agency/users/<int:user_id>/", views.user_detail, name="agency-user-detail"),
    path("agency/users/<int:user_id>/role/", views.user_role_change, name="agency-user-role"),
    path("agency/users/<int:user_id>/deactivate/", views.user_deactivate, name="agency-user-deactivate"),
    path("agency/users/<int:user_id>/reactivate/", views.user_reactivate, name="agency-user-reactivate"),
    path("agency/users/<int:user_id>/password-reset/", views.user_password_reset, name="agency-user-password-reset"),
    path("agency/users/<int:user_id>/totp-reset/", views.user_totp_reset, name="agency-user-totp-reset"),
]
