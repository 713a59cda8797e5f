from peyvand.service.models.kb import (
    Article,
    ArticleAttachment,
    ArticleCategory,
    ArticleDeflection,
    ArticleFeedback,
    ArticleVersion,
)
from peyvand.service.models.orders import ServiceOrder, ServiceOrderLine, ServiceTimeEntry
from peyvand.service.models.tickets import (
    BusinessCalendar,
    Holiday,
    Macro,
    ServiceAgreement,
    SlaPolicy,
    Ticket,
    TicketWatcher,
)

__all__ = [
    "Article",
    "ArticleAttachment",
    "ArticleCategory",
    "ArticleDeflection",
    "ArticleFeedback",
    "ArticleVersion",
    "BusinessCalendar",
    "Holiday",
    "Macro",
    "ServiceAgreement",
    "ServiceOrder",
    "ServiceOrderLine",
    "ServiceTimeEntry",
    "SlaPolicy",
    "Ticket",
    "TicketWatcher",
]
