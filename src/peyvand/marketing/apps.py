from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "peyvand.marketing"
    label = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from peyvand.channels.inbox.delivery import register_gate
        from peyvand.marketing import signals  # noqa: F401  (connects the receivers)
        from peyvand.marketing.campaigns.services import withheld_campaign_messages

        register_gate(withheld_campaign_messages)
