from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lantern.platform.audit"
    label = "audit"
    verbose_name = "Audit trail"
