from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "peyvand.service"
    label = "service"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        from peyvand.channels.email.inbound.routing import (
            register_reply_handler,
            register_thread_redirect,
            register_ticket_handler,
        )
        from peyvand.service.tickets.inbound import surviving_thread, ticket_from_email
        from peyvand.service.tickets.services import customer_answered

        register_ticket_handler(ticket_from_email)
        register_reply_handler(customer_answered)
        register_thread_redirect(surviving_thread)
