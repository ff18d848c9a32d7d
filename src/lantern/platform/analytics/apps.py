from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "lantern.platform.analytics"
    label = "analytics"
    verbose_name = "Statistics, routes, data sources and releases"
