from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "lantern.platform.web"
    label = "web"
    verbose_name = "Web interface"
