"""The demo company's service desk: an office calendar with this year's fixed holidays, a
standard and a gold service level, one customer with a gold agreement, and open tickets."""

from __future__ import annotations

import datetime as dt

import jdatetime
from django.utils import timezone

SUBJECTS = [
    ("مودم پس از به‌روزرسانی وصل نمی‌شود", 3),
    ("Invoice shows the wrong currency", 2),
    ("درخواست تعویض کالای معیوب", 4),
]


def load_demo_tickets() -> None:
    from peyvand.access.models import Department, User
    from peyvand.customers.models import Customer
    from peyvand.service.models import BusinessCalendar, ServiceAgreement, SlaPolicy, Ticket
    from peyvand.service.sla import load_iranian_holidays
    from peyvand.service.tickets.services import open_ticket

    agent = User.objects.filter(username="service1").first()
    queue = Department.objects.filter(code="service").first()
    customers = list(Customer.objects.alive().order_by("pk")[:3])
    if agent is None or queue is None or not customers or Ticket.objects.exists():
        return
    calendar, _ = BusinessCalendar.objects.get_or_create(name="Tehran office")
    load_iranian_holidays(calendar, jdatetime.date.today().year)
    SlaPolicy.objects.get_or_create(
        name="Standard",
        defaults={"first_response_minutes": 240, "resolution_minutes": 1440, "calendar": calendar},
    )
    gold, _ = SlaPolicy.objects.get_or_create(
        name="Gold",
        defaults={"first_response_minutes": 30, "resolution_minutes": 240, "calendar": calendar},
    )
    today = timezone.now().date()
    ServiceAgreement.objects.get_or_create(
        customer=customers[0],
        name="Gold support",
        defaults={
            "starts_on": today - dt.timedelta(days=90),
            "ends_on": today + dt.timedelta(days=275),
            "incidents_allowed": 12,
            "sla_policy": gold,
        },
    )
    for customer, (subject, priority) in zip(customers, SUBJECTS, strict=False):
        open_ticket(actor=agent, customer=customer, subject=subject, queue=queue, priority=priority)
