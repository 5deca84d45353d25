from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from .cors import cors_allowed

        check_request_enabled.connect(cors_allowed, dispatch_uid="rotor-trusted-origins")
