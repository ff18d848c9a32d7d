from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    name = "lantern.platform.interventions"
    label = "interventions"
    verbose_name = "Interventions"
    default_auto_field = "django.db.models.BigAutoField"
