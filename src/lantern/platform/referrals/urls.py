from django.urls import path

from lantern.platform.referrals import views

urlpatterns = [
    path("subjects/<str:ref>/refer/", views.referral_create, name="referral-create"),
    path("referrals/", views.referral_list, name="referral-list"),
    path("referrals/<str:ref>/", views.referral_detail, name="referral-detail"),
    path("referrals/<str:ref>/accept/", views.referral_accept, name="referral-accept"),
    path("referrals/<str:ref>/decline/", views.referral_decline, name="referral-decline"),
    path("referrals/<str:ref>/withdraw/", views.referral_withdraw, name="referral-withdraw"),
    path("referrals/<str:ref>/close/", views.referral_close, name="referral-close"),
]
