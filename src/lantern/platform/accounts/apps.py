from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lantern.platform.accounts"
    label = "accounts"
    verbose_name = "Agencies and users"
