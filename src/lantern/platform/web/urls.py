from django.contrib.auth import views as auth_views
from django.urls import path

from lantern.platform.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/totp/", views.totp, name="totp"),
    path("accounts/totp/enrol/", views.totp_enrol, name="totp-enrol"),
    path("accounts/totp/recovery-codes/", views.totp_recovery_codes, name="totp-recovery-codes"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("subjects/", views.subject_list, name="subject-list"),
    path("subjects/<str:ref>/", views.subject_detail, name="subject-detail"),
    path("subjects/<str:ref>/identity/", views.subject_identity, name="subject-identity"),
    path("subjects/<str:ref>/journey/", views.journey_editor, name="journey-editor"),
    path("subjects/<str:ref>/journey/legs/", views.journey_leg_add, name="journey-leg-add"),
    path("subjects/<str:ref>/journey/legs/<int:leg_id>/delete/", views.journey_leg_delete, name="journey-leg-delete"),
    path("subjects/<str:ref>/journey/legs/<int:leg_id>/move/<str:direction>/", views.journey_leg_move,
         name="journey-leg-move"),
    path("subjects/<str:ref>/grants/", views.grant_create, name="grant-create"),
    path("subjects/<str:ref>/erase/", views.subject_erase, name="subject-erase"),
    path("subjects/<str:ref>/consents/<int:consent_id>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
    path("assessments/<str:ref>/", views.assessment_detail, name="assessment-detail"),
    path("assessments/<str:ref>/correct/", views.assessment_correct, name="assessment-correct"),
    path("intake/", views.intake_start, name="intake-start"),
    path("intake/<str:step>/", views.intake_step, name="intake-step"),
    path("imports/", views.import_assessments, name="import-assessments"),
    path("audit/", views.audit_list, name="audit-list"),
    path("agency/users/", views.agency_users, name="agency-users"),
    path("agency/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
