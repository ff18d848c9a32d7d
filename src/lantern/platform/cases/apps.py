from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "lantern.platform.cases"
    label = "cases"
    verbose_name = "Subjects, assessments and journeys"
