from peyvand.service.models.kb import (
    Article,
    ArticleAttachment,
    ArticleCategory,
    ArticleFeedback,
    ArticleVersion,
)
from peyvand.service.models.orders import ServiceOrder, ServiceOrderLine, ServiceTimeEntry
from peyvand.service.models.tickets import (
    BusinessCalendar,
    Holiday,
    ServiceAgreement,
    SlaPolicy,
    Ticket,
)

__all__ = [
    "Article",
    "ArticleAttachment",
    "ArticleCategory",
    "ArticleFeedback",
    "ArticleVersion",
    "BusinessCalendar",
    "Holiday",
    "ServiceAgreement",
    "ServiceOrder",
    "ServiceOrderLine",
    "ServiceTimeEntry",
    "SlaPolicy",
    "Ticket",
]
