from peyvand.service.models.kb import Article, ArticleCategory, ArticleFeedback, ArticleVersion
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
    "ArticleCategory",
    "ArticleFeedback",
    "ArticleVersion",
    "BusinessCalendar",
    "Holiday",
    "Macro",
    "ServiceAgreement",
    "SlaPolicy",
    "Ticket",
    "TicketWatcher",
]
