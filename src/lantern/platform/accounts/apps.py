from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "lantern.platform.accounts"
    label = "accounts"
    verbose_name = "Agencies and users"

    def ready(self) -> None:
        # refuse to start with an unknown role in LANTERN_TOTP_ROLES (a typo would switch enforcement off)
        from lantern.platform.accounts.services import totp_required_roles

        totp_required_roles()
