from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "peyvand.channels"
    # "channels" is Django Channels' own label; ours must not collide with it.
    label = "comms"
    verbose_name = _("Channels")
