"""The bilingual demo company: customers, products, orders, interactions and desks.

Everything goes through the same services the UI and the API use, so the demo data is
audited and valid. Idempotent: every row is found by a natural key (external reference,
SKU, order reference, interaction external id, task title) before it is created, so a
second run adds nothing. Dates are relative to the first run.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

# (first, last) pairs; a few are typed with Arabic ي/ك, as real records are.
_FA_PEOPLE = [
    ("علی", "رضایی"), ("فاطمه", "کریمی"), ("محمد", "حسینی"), ("زهرا", "احمدی"),
    ("رضا", "موسوی"), ("مریم", "جعفری"), ("حسین", "کاظمی"), ("سارا", "صادقی"),
    ("مهدی", "قاسمی"), ("نرگس", "تهرانی"), ("امیر", "اصفهانی"), ("لیلا", "شیرازی"),
    ("سعید", "یزدانی"), ("نگار", "حیدری"), ("کامران", "عباسی"), ("پریسا", "مرادی"),
    ("فرهاد", "ملکی"), ("مهسا", "سلیمانی"), ("آرش", "یوسفی"), ("شیرین", "اکبری"),
    ("بابک", "نجفی"), ("یاسمن", "زارعی"), ("نیما", "کیانی"), ("الهام", "نیک\u200cنام"),
    ("پیمان", "حسین\u200cپور"), ("مینا", "فراهانی"), ("علي", "كريمي"), ("مريم", "يوسفي"),
    ("كاوه", "رحيمي"), ("هانیه", "عبدالله\u200cزاده"),
]  # fmt: skip
_EN_PEOPLE = [
    ("James", "Miller"), ("Emma", "Clark"), ("Oliver", "Schmidt"), ("Sophia", "Rossi"),
    ("Daniel", "Nguyen"), ("Mia", "Dubois"), ("Lucas", "Walker"), ("Ava", "Young"),
    ("Noah", "Yılmaz"), ("Leila", "Tehrani"), ("Reza", "Karimi"), ("Sarah", "O'Brien"),
    ("Mehmet", "Demir"), ("Zoë", "Müller"), ("Liam", "Harris"),
]  # fmt: skip
_FA_ORGS = [
    "شرکت پارس تجارت", "گروه صنعتی البرز", "فروشگاه زنجیره‌ای سپهر", "بازرگانی آریا نوین",
    "شرکت دارویی زاگرس", "هلدینگ خلیج فارس", "شرکت فناوری رایان", "کارخانه نساجی کاشان",
]  # fmt: skip
_EN_ORGS = [
    "Caspian Logistics GmbH", "Silk Road Trading FZE", "Northwind Foods Ltd",
    "Persepolis Systems Inc.", "Atlas Motors A.Ş.", "Blue River Pharma LLC", "Zenith Textiles Co.",
]  # fmt: skip
_CITIES_FA = ["تهران", "اصفهان", "شیراز", "مشهد", "تبریز", "کرج", "رشت", "یزد"]
_STREETS_FA = ["خیابان ولیعصر", "خیابان انقلاب", "بلوار کشاورز", "خیابان چهارباغ", "خیابان زند"]
# city, E.164 prefix, digits after it, street
_FOREIGN = [
    ("Dubai", "+97150", 7, "Sheikh Zayed Road"),
    ("Istanbul", "+90532", 7, "İstiklal Caddesi"),
    ("Hamburg", "+49151", 8, "Mönckebergstraße"),
    ("London", "+447400", 6, "Baker Street"),
]
_MOBILE = ["912", "935", "919", "901", "936", "913", "917", "938"]
_FA_TAGS = ["مشتری وفادار", "عمده‌فروش", "نمایشگاه ۱۴۰۳"]
_EN_TAGS = ["VIP", "wholesale", "B2B", "newsletter", "export", "at-risk"]

# sku, English name, Persian name, category, price in IRR, in USD, in EUR
_PRODUCTS = [
    ("DEMO-P01", "Espresso machine", "دستگاه اسپرسوساز", "appliances", 185_000_000, 310, 285),
    ("DEMO-P02", "Coffee beans 1 kg", "دانه قهوه ۱ کیلویی", "food", 9_500_000, 16, 15),
    ("DEMO-P03", "Saffron 10 g", "زعفران ۱۰ گرمی", "food", 12_000_000, 21, 19),
    ("DEMO-P04", "Persian rug 2x3 m", "فرش دستباف ۶ متری", "home", 950_000_000, 1600, 1480),
    ("DEMO-P05", "Pistachios 1 kg", "پسته ۱ کیلویی", "food", 14_500_000, 25, 23),
    ("DEMO-P06", "Tea set", "سرویس چای‌خوری", "home", 28_000_000, 48, 44),
    ("DEMO-P07", "Laptop 14 inch", "لپ‌تاپ ۱۴ اینچ", "electronics", 620_000_000, 1050, 970),
    ("DEMO-P08", "Wireless headphones", "هدفون بی‌سیم", "electronics", 45_000_000, 76, 70),
    ("DEMO-P09", "Support plan (1 year)", "قرارداد پشتیبانی یک‌ساله", "services", 120_000_000, 200, 185),
    ("DEMO-P10", "Installation visit", "بازدید و نصب", "services", 8_000_000, 14, 13),
]  # fmt: skip
_CURRENCY_COLUMN = {"IRR": 4, "USD": 5, "EUR": 6}

_INTERACTIONS_FA = [
    ("phone", "inbound", "پیگیری ارسال سفارش", "مشتری زمان تحویل را پرسید."),
    ("email", "outbound", "ارسال پیش‌فاکتور", "پیش‌فاکتور برای تایید ارسال شد."),
    ("sms", "outbound", "تایید سفارش", "سفارش شما ثبت شد."),
    ("chat", "inbound", "سوال درباره گارانتی", "گارانتی دو ساله توضیح داده شد."),
    ("visit", "outbound", "جلسه معرفی محصول", "در دفتر مشتری برگزار شد."),
    ("note", "internal", "یادداشت داخلی", "مشتری به خرید عمده علاقه دارد."),
    ("webform", "inbound", "فرم تماس با ما", "درخواست نمایندگی فروش."),
    ("fax", "inbound", "حواله بانکی", "رسید پرداخت دریافت شد."),
    ("portal", "inbound", "ثبت درخواست در پورتال", "درخواست نسخه فاکتور."),
]  # fmt: skip
_INTERACTIONS_EN = [
    ("phone", "inbound", "Delivery date question", "Customer asked when the order arrives."),
    ("email", "outbound", "Quote sent", "Quote sent for approval."),
    ("sms", "outbound", "Order confirmed", "Your order is confirmed."),
    ("chat", "inbound", "Warranty question", "Explained the two-year warranty."),
    ("visit", "outbound", "Product demo", "Demo at the customer's office."),
    ("note", "internal", "Internal note", "Interested in a bulk order."),
    ("webform", "inbound", "Contact form", "Asked to become a reseller."),
    ("fax", "inbound", "Bank transfer slip", "Payment slip received."),
    ("portal", "inbound", "Portal request", "Asked for an invoice copy."),
]  # fmt: skip

# persona -> tasks: (title, kind, priority, due in days (negative: overdue), customer number)
_TASKS: dict[str, list[tuple[str, str, int, int, int | None]]] = {
    "manager": [
        ("Approve the Caspian Logistics discount", "approval", 3, -2, 39),
        ("بررسی گزارش فروش فصل", "todo", 2, 3, None),
        ("Quarterly review with the sales team", "meeting", 2, 10, None),
    ],
    "sales1": [
        ("تماس پیگیری با علی رضایی", "call", 3, -1, 1),
        ("ارسال پیش‌فاکتور برای شرکت پارس تجارت", "follow_up", 2, 1, 31),
        ("جلسه با گروه صنعتی البرز", "meeting", 2, -4, 32),
    ],
    "sales2": [
        ("Call Emma Clark about the rug order", "call", 3, -3, 47),
        ("Send the price list to Silk Road Trading", "follow_up", 2, 2, 40),
        ("Renew the support plan of Northwind Foods", "follow_up", 2, 7, 41),
        ("Visit Atlas Motors in Istanbul", "meeting", 1, 14, 43),
    ],
    "service1": [
        ("Late delivery complaint from Noah Yılmaz", "todo", 4, -1, 50),
        ("Installation visit for Reza Karimi", "meeting", 2, 2, 55),
        ("Warranty question from Liam Harris", "call", 2, 0, 60),
    ],
    "marketing1": [
        ("Prepare the Nowruz newsletter", "todo", 2, 5, None),
        ("فهرست مشتریان وفادار برای کمپین", "todo", 2, -2, None),
    ],
}
# department code -> tasks on the department's desk (no one person)
_DEPARTMENT_TASKS = {
    "sales": [("پیگیری مشتریان بدون خرید در ۶ ماه اخیر", "follow_up", 2, 4, None)],
    "service": [("Review open warranty cases", "todo", 2, -1, None)],
}


@dataclass
class _Person:
    ref: str
    kind: str
    display_name: str
    first_name: str
    last_name: str
    organization_name: str
    language: str
    currency: str
    channel: str
    owner: str
    department: str
    tags: list[str]
    contacts: list[dict[str, Any]]


def _fa_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def _people() -> list[_Person]:
    """The 60 demo customers, the same on every run (a fixed random stream)."""
    rng = random.Random(1404)
    people: list[_Person] = []
    latin = "abcdefghijklmnopqrstuvwxyz"

    def mobile(n: int) -> str:
        return f"09{_MOBILE[n % len(_MOBILE)][1:]}{rng.randrange(10**7):07d}"

    for n, (first, last) in enumerate(_FA_PEOPLE, start=1):
        phone = mobile(n)
        city = _CITIES_FA[n % len(_CITIES_FA)]
        street = _STREETS_FA[n % len(_STREETS_FA)]
        contacts: list[dict[str, Any]] = [
            # Some numbers are written in Persian digits, as people type them.
            {"kind": "phone", "label": "mobile", "value": _fa_digits(phone) if n % 4 == 0 else phone},
            {"kind": "address", "label": "home", "value": f"{street}، پلاک {_fa_digits(str(n * 7))}، {city}"},
        ]  # fmt: skip
        if n % 3 != 0:
            handle = "".join(rng.choice(latin) for _ in range(6))
            contacts.append({"kind": "email", "value": f"{handle}{n}@gmail.com"})
        people.append(
            _Person(
                ref=f"DEMO-C{n:03d}",
                kind="person",
                display_name=f"{first} {last}",
                first_name=first,
                last_name=last,
                organization_name="",
                language="fa",
                currency="IRR",
                channel=["sms", "phone", "email", "messenger"][n % 4],
                owner="sales1" if n % 3 else "sales2",
                department="sales",
                tags=[_FA_TAGS[n % 3]] + (["VIP"] if n % 7 == 0 else []),
                contacts=contacts,
            )
        )
    for i, name in enumerate(_FA_ORGS):
        n = len(people) + 1
        contacts = [
            {"kind": "phone", "label": "office", "value": f"021{rng.randrange(3, 6)}{rng.randrange(10**7):07d}"},
            {"kind": "email", "value": f"info@company{n}.ir"},
            {"kind": "website", "value": f"https://www.company{n}.ir"},
            {"kind": "address", "label": "office", "value": f"{_STREETS_FA[i % 5]}، {_CITIES_FA[i]}"},
        ]  # fmt: skip
        people.append(
            _Person(
                ref=f"DEMO-C{n:03d}",
                kind="organization",
                display_name=name,
                first_name="",
                last_name="",
                organization_name=name,
                language="fa",
                currency="IRR",
                channel="phone",
                owner="sales1",
                department="sales",
                tags=["B2B", "عمده‌فروش"],
                contacts=contacts,
            )
        )
    for i, name in enumerate(_EN_ORGS):
        n = len(people) + 1
        city, prefix, digits, street = _FOREIGN[i % len(_FOREIGN)]
        contacts = [
            {"kind": "phone", "label": "office", "value": f"{prefix}{rng.randrange(10**digits):0{digits}d}"},
            {"kind": "email", "value": f"sales@partner{n}.com"},
            {"kind": "address", "label": "office", "value": f"{n} {street}, {city}"},
        ]  # fmt: skip
        people.append(
            _Person(
                ref=f"DEMO-C{n:03d}",
                kind="organization",
                display_name=name,
                first_name="",
                last_name="",
                organization_name=name,
                language="en",
                currency="EUR" if i % 2 else "USD",
                channel="email",
                owner="sales2",
                department="sales",
                tags=["B2B", "export"],
                contacts=contacts,
            )
        )
    for i, (first, last) in enumerate(_EN_PEOPLE):
        n = len(people) + 1
        abroad = i % 3 == 0
        city, prefix, digits, street = _FOREIGN[i % len(_FOREIGN)]
        phone = (
            f"{prefix}{rng.randrange(10**digits):0{digits}d}" if abroad else f"+98 {mobile(n)[1:]}"
        )
        email = f"{first.lower()}.{last.lower().replace(chr(39), '')}{n}@outlook.com"
        contacts = [
            {"kind": "phone", "label": "mobile", "value": phone},
            {"kind": "email", "value": email.replace("ı", "i").replace("ü", "u").replace("ë", "e")},
        ]
        if i % 2 == 0:
            contacts.append(
                {"kind": "messenger", "label": "whatsapp", "value": f"@{first.lower()}{n}"}
            )
        people.append(
            _Person(
                ref=f"DEMO-C{n:03d}",
                kind="person",
                display_name=f"{first} {last}",
                first_name=first,
                last_name=last,
                organization_name="",
                language="en",
                currency="USD" if abroad else "IRR",
                channel=["email", "chat", "phone"][i % 3],
                owner="sales2" if i % 4 else "sales1",
                # A few English-speaking customers are looked after by customer service.
                department="service" if i % 5 == 4 else "sales",
                tags=[_EN_TAGS[i % len(_EN_TAGS)]],
                contacts=contacts,
            )
        )
    return people


def load_demo_company() -> None:
    from peyvand.access.models import Department, User
    from peyvand.sales.forecast_data import load_demo_forecast
    from peyvand.sales.lead_demo import load_demo_leads

    users = {u.username: u for u in User.objects.filter(username__in=list(_TASKS))}
    departments = {d.code: d for d in Department.objects.all()}
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    products = _products()
    customers = _customers(users, departments, now)
    _orders(customers, products, users, now)
    _interactions(customers, users, now)
    _tasks(customers, users, departments, now)
    from peyvand.sales.activities import load_demo_activities

    load_demo_activities()
    _sales_documents()
    load_demo_leads()
    load_demo_forecast(customers, users, now)
    from peyvand.service.kb.demo import load_demo_articles

    load_demo_articles()
    from peyvand.service.tickets.demo import load_demo_tickets

    load_demo_tickets()
    from peyvand.portal.community.demo import load_demo_community

    load_demo_community()


def _products() -> dict[str, Any]:
    from peyvand.catalog.models import Product
    from peyvand.catalog.services import create_product, ensure_currencies, record_exchange_rate

    ensure_currencies()
    found = {p.sku: p for p in Product.objects.filter(sku__startswith="DEMO-P")}
    for sku, name, name_fa, category, irr, _usd, _eur in _PRODUCTS:
        if sku not in found:
            found[sku] = create_product(
                actor=None,
                sku=sku,
                name=name,
                name_fa=name_fa,
                category=category,
                unit_price=Decimal(irr),
                currency="IRR",
                stock=50,
            )
    from peyvand.catalog.models import ExchangeRate

    today = timezone.localdate()
    for base, rate in (("USD", "600000"), ("EUR", "650000")):
        if not ExchangeRate.objects.filter(base_id=base, quote_id="IRR").exists():
            record_exchange_rate(
                actor=None, base=base, quote="IRR", date=today, rate=Decimal(rate), source="demo"
            )
    return found


def _customers(users: dict[str, Any], departments: dict[str, Any], now: dt.datetime) -> list[Any]:
    from peyvand.customers.choices import Channel, ConsentPurpose, ConsentStatus, RelationshipKind
    from peyvand.customers.models import Consent, Customer, Relationship
    from peyvand.customers.services import add_relationship, create_customer, set_consent

    existing = {
        c.external_ref: c for c in Customer.objects.filter(external_ref__startswith="DEMO-C")
    }
    customers = []
    for n, person in enumerate(_people(), start=1):
        customer = existing.get(person.ref)
        if customer is None:
            customer = create_customer(
                actor=None,
                display_name=person.display_name,
                kind=person.kind,
                first_name=person.first_name,
                last_name=person.last_name,
                organization_name=person.organization_name,
                preferred_language=person.language,
                preferred_channel=person.channel,
                currency=person.currency,
                owner=users[person.owner],
                department=departments[person.department],
                external_ref=person.ref,
                tags=person.tags,
                contact_points=person.contacts,
            )
        customers.append(customer)
        # Consent: most agree to service messages; marketing is split, some withdrew.
        decisions = [(Channel.SMS, ConsentPurpose.SERVICE, ConsentStatus.GRANTED, "signup form")]
        if n % 2:
            decisions.append(
                (Channel.EMAIL, ConsentPurpose.MARKETING, ConsentStatus.GRANTED, "newsletter form")
            )
        if n % 5 == 0:
            decisions.append(
                (Channel.SMS, ConsentPurpose.MARKETING, ConsentStatus.WITHDRAWN, "replied STOP")
            )
        for channel, purpose, status, source in decisions:
            if not Consent.objects.filter(
                customer=customer, channel=channel, purpose=purpose
            ).exists():
                set_consent(
                    customer,
                    actor=None,
                    channel=channel,
                    purpose=purpose,
                    status=status,
                    source=source,
                    recorded_at=now - dt.timedelta(days=200 - n),
                )
    # People who work at the organisations, and a household.
    links = [(1, 31, RelationshipKind.EMPLOYEE_OF), (5, 32, RelationshipKind.EMPLOYEE_OF),
             (46, 39, RelationshipKind.EMPLOYEE_OF), (2, 1, RelationshipKind.HOUSEHOLD_OF),
             (12, 3, RelationshipKind.REFERRED_BY)]  # fmt: skip
    for a, b, kind in links:
        src, dst = customers[a - 1], customers[b - 1]
        if not Relationship.objects.filter(from_customer=src, to_customer=dst, kind=kind).exists():
            add_relationship(src, dst, actor=None, kind=kind)
    return customers


def _orders(
    customers: list[Any], products: dict[str, Any], users: dict[str, Any], now: dt.datetime
) -> None:
    from peyvand.sales.choices import OrderStatus, PaymentMethod
    from peyvand.sales.models import Order
    from peyvand.sales.services import cancel_order, create_order, record_payment

    rng = random.Random(7)
    skus = [p[0] for p in _PRODUCTS]
    prices = {p[0]: p for p in _PRODUCTS}
    taken = set(
        Order.objects.filter(external_ref__startswith="DEMO-O").values_list(
            "external_ref", flat=True
        )
    )
    number = 0
    for index, customer in enumerate(customers):
        # Repeat purchase: a few loyal customers order often, most order once or twice.
        count = 6 if index % 10 == 0 else rng.choice([0, 1, 1, 2, 2, 3])
        for k in range(count):
            number += 1
            ref = f"DEMO-O{number:04d}"
            lines = []
            for sku in rng.sample(skus, rng.choice([1, 1, 2, 3])):
                price = prices[sku][_CURRENCY_COLUMN[customer.currency]]
                lines.append(
                    {
                        "product": products[sku],
                        "quantity": rng.choice([1, 1, 2, 5]),
                        "unit_price": Decimal(price),
                    }
                )
            status = (
                OrderStatus.CANCELLED
                if number % 17 == 0
                else OrderStatus.CONFIRMED
                if k == count - 1 and index % 3 == 0
                else OrderStatus.FULFILLED
            )
            if ref in taken:
                continue
            order = create_order(
                actor=None,
                customer=customer,
                currency=customer.currency,
                lines=lines,
                ordered_at=now - dt.timedelta(days=rng.randrange(5, 700), hours=rng.randrange(9)),
                # Orders are born confirmed; a cancellation is a later step.
                status=OrderStatus.CONFIRMED if status == OrderStatus.CANCELLED else status,
                external_ref=ref,
            )
            if status == OrderStatus.CANCELLED:
                cancel_order(order, actor=None)
            elif status == OrderStatus.FULFILLED:
                record_payment(
                    order,
                    actor=None,
                    amount=order.total.amount,
                    method=rng.choice(list(PaymentMethod.values)),
                    paid_at=order.ordered_at + dt.timedelta(days=1),
                    reference=f"PAY-{number:04d}",
                )
            elif status == OrderStatus.CONFIRMED and number % 2:
                # A deposit: half now, the rest on delivery.
                places = 0 if customer.currency == "IRR" else 2
                record_payment(
                    order,
                    actor=None,
                    amount=(order.total.amount / 2).quantize(Decimal(10) ** -places),
                    method=PaymentMethod.TRANSFER,
                    paid_at=order.ordered_at + dt.timedelta(hours=2),
                    reference=f"DEP-{number:04d}",
                )


def _interactions(customers: list[Any], users: dict[str, Any], now: dt.datetime) -> None:
    from peyvand.channels.models import Interaction
    from peyvand.channels.services import log_interaction

    rng = random.Random(11)
    done = set(
        Interaction.objects.filter(external_id__startswith="demo-i-").values_list(
            "external_id", flat=True
        )
    )
    agents = [users["sales1"], users["sales2"], users["service1"], users["marketing1"]]
    number = 0
    for index, customer in enumerate(customers):
        pool = _INTERACTIONS_FA if customer.preferred_language == "fa" else _INTERACTIONS_EN
        latest_order = customer.orders.order_by("-ordered_at").first()
        for k in range(2 + index % 4):
            number += 1
            channel, direction, subject, body = pool[(index + k * 2) % len(pool)]
            external_id = f"demo-i-{number:04d}"
            ago = dt.timedelta(days=rng.randrange(0, 400), hours=rng.randrange(8))
            duration = rng.randrange(60, 900)
            if external_id in done:
                continue
            log_interaction(
                actor=None,
                customer=customer,
                channel=channel,
                direction=direction,
                subject=subject,
                body=body,
                occurred_at=now - ago,
                agent=None
                if channel in ("webform", "portal")
                else agents[(index + k) % len(agents)],
                related=latest_order if k == 0 else None,
                duration_seconds=duration if channel == "phone" else None,
                external_id=external_id,
            )


def _tasks(
    customers: list[Any], users: dict[str, Any], departments: dict[str, Any], now: dt.datetime
) -> None:
    from peyvand.desk.models import Task
    from peyvand.desk.services import create_task

    manager = users["manager"]
    plan: list[tuple[Any, Any, tuple[str, str, int, int, int | None]]] = [
        (users[username], None, task) for username, tasks in _TASKS.items() for task in tasks
    ]
    plan += [
        (None, departments[code], task)
        for code, tasks in _DEPARTMENT_TASKS.items()
        for task in tasks
    ]
    for assignee, department, (title, kind, priority, due_days, customer_no) in plan:
        if Task.objects.filter(title=title, assignee=assignee, department=department).exists():
            continue
        due = now + dt.timedelta(days=due_days, hours=2)
        create_task(
            actor=manager,
            title=title,
            kind=kind,
            priority=priority,
            due_at=due,
            remind_at=due - dt.timedelta(hours=4) if due_days >= 0 else None,
            assignee=assignee,
            department=department,
            customer=customers[customer_no - 1] if customer_no else None,
        )


def _sales_documents() -> None:
    from peyvand.sales.quote_demo import load_demo_documents

    load_demo_documents()
