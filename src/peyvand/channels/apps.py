from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "peyvand.channels"
    # "channels" is Django Channels' own label; ours must not collide with it.
    label = "comms"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from peyvand.channels.email.sending import register as register_email
        from peyvand.channels.sms.services import register as register_sms
        from peyvand.channels.webhooks.models import WebhookEndpoint
        from peyvand.channels.webhooks.services import forget_endpoints

        # Any process that changes a subscription drops the cached list everyone reads.
        post_save.connect(forget_endpoints, sender=WebhookEndpoint, dispatch_uid="webhooks-save")
        post_delete.connect(
            forget_endpoints, sender=WebhookEndpoint, dispatch_uid="webhooks-delete"
        )
        register_email()
        register_sms()
