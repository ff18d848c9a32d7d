from django.urls import path

from lantern.platform.analytics import views

urlpatterns = [
    path("", views.home, name="analytics-home"),
    path("counts/", views.counts, name="analytics-counts"),
    path("rates/", views.rates, name="analytics-rates"),
    path("routes/", views.routes, name="analytics-routes"),
    path("routes/<str:figure>/<str:fmt>/", views.route_figure, name="analytics-route-figure"),
    path("sources/", views.sources, name="analytics-sources"),
    path("sources/national/", views.sources_national, name="analytics-sources-national"),
    path("sharing/", views.sharing, name="analytics-sharing"),
    path("combine/", views.combine, name="analytics-combine"),
    path("ctdc/", views.ctdc, name="analytics-ctdc"),
    path("releases/", views.release_list, name="analytics-releases"),
    path("releases/new/", views.release_create, name="analytics-release-create"),
    path("releases/<str:ref>/", views.release_detail, name="analytics-release-detail"),
    path("releases/<str:ref>/check/", views.release_check, name="analytics-release-check"),
    path("releases/<str:ref>/publish/", views.release_publish, name="analytics-release-publish"),
    path("releases/<str:ref>/files/<str:fmt>/", views.release_download, name="analytics-release-download"),
    path("releases/<str:ref>/dp/", views.release_dp, name="analytics-release-dp"),
]
