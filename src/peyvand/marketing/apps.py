from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "peyvand.marketing"
    label = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from anymail.signals import tracking

        from peyvand.channels.email.inbound.routing import register_report_handler
        from peyvand.channels.inbox.delivery import register_gate
        from peyvand.marketing import signals  # noqa: F401  (connects the receivers)
        from peyvand.marketing.campaigns.services import (
            on_message_responded,
            withheld_campaign_messages,
        )
        from peyvand.marketing.consent.services import handle_inbound_report, on_provider_event
        from peyvand.marketing.loyalty import signals as loyalty_signals  # noqa: F401
        from peyvand.tracking.events import message_responded

        register_gate(withheld_campaign_messages)
        message_responded.connect(on_message_responded, dispatch_uid="peyvand.campaign-responses")
        register_report_handler(handle_inbound_report)
        tracking.connect(on_provider_event, dispatch_uid="peyvand.marketing.provider-events")
