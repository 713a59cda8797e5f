from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "peyvand.core"
    label = "core"
