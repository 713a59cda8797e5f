from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonalizationConfig(AppConfig):
    name = "peyvand.personalization"
    label = "personalization"
    verbose_name = _("Personalisation")
