"""Demo data of lead capture: a web form, assignment and scoring rules, a few leads (one of
them past its first-response deadline). Idempotent: running it again adds nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from peyvand.access.models import Department, User
from peyvand.sales.capture import capture_lead
from peyvand.sales.choices import AssignmentAction, LeadChannel
from peyvand.sales.models import AssignmentRule, Lead, LeadSource, ScoringRule, WebForm
from peyvand.sales.webforms import FieldSpec, save_web_form

LEADS = [
    ("نگار موسوی", "آرین تجارت", "negar@arian.example", "تهران", "google", "cpc"),
    ("Omid Karimi", "", "omid@example.com", "Tabriz", "", ""),
    ("حسین جعفری", "پارس صنعت", "hossein@pars.example", "اصفهان", "newsletter", "email"),
    ("Lily Taylor", "Taylor & Co", "lily@taylor.example", "Mashhad", "", ""),
]


@transaction.atomic
def load_demo_leads() -> None:
    if Lead.objects.filter(channel=LeadChannel.WEB_FORM).exists():
        return
    sales = Department.objects.get(code="sales")
    manager = User.objects.filter(username="manager").first()
    web, _ = LeadSource.objects.get_or_create(
        code="website", defaults={"name": "Website", "name_fa": "وب‌سایت", "response_hours": 4}
    )
    web_form = save_web_form(
        WebForm(
            name="Contact us / تماس با ما",
            language="fa",
            source=web,
            department=sales,
            success_message="Thank you, we will call you soon.",
            success_message_fa="سپاس! به‌زودی با شما تماس می‌گیریم.",
        ),
        [
            FieldSpec("full_name", "name", required=True, label="Name", label_fa="نام"),
            FieldSpec("company", "company", label="Company", label_fa="شرکت"),
            FieldSpec("email", "email", required=True, label="Email", label_fa="ایمیل"),
            FieldSpec("city", "city", label="City", label_fa="شهر"),
            FieldSpec("message", "notes", label="Message", label_fa="پیام"),
        ],
        actor=manager,
    )
    sales2 = User.objects.filter(username="sales2").first()
    if sales2 is not None:
        AssignmentRule.objects.get_or_create(
            name="English leads to John",
            defaults={"match_language": "en", "action": AssignmentAction.USER, "user": sales2},
        )
    AssignmentRule.objects.get_or_create(
        name="Isfahan: fewest open leads",
        defaults={
            "match_city": "اصفهان, Isfahan",
            "action": AssignmentAction.LEAST_LOADED,
            "department": sales,
            "position": 1,
        },
    )
    for name, field, condition, value, points in [
        ("Names a company", "company", "is_set", "", 15),
        ("Paid search", "utm_medium", "equals", "cpc", 10),
        ("Gave a phone", "phone", "is_set", "", 5),
    ]:
        ScoringRule.objects.get_or_create(
            name=name,
            defaults={"field": field, "condition": condition, "value": value, "points": points},
        )
    for i, (name, company, email, city, utm_source, utm_medium) in enumerate(LEADS):
        lead, _duplicates = capture_lead(
            actor=None,
            channel=LeadChannel.WEB_FORM,
            web_form=web_form,
            source=web,
            department=sales,
            assign=True,
            name=name,
            company=company,
            email=email,
            city=city,
            language="en" if name.isascii() else "fa",
            utm_source=utm_source,
            utm_medium=utm_medium,
        )
        if i == 0:  # came in yesterday and nobody answered: red on its owner's desk
            Lead.objects.filter(pk=lead.pk).update(
                created_at=timezone.now() - dt.timedelta(days=1),
                respond_by=timezone.now() - dt.timedelta(hours=20),
            )
