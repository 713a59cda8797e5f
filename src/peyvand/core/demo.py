"""The bilingual demo company: a few customers, products, orders, interactions and tasks.

Idempotent: every row is looked up by a natural key before it is created.
"""

from __future__ import annotations


def load_demo_company() -> None:
    from peyvand.access.models import Department, User
    from peyvand.customers.models import Customer

    sales = Department.objects.get(code="sales")
    sales1 = User.objects.get(username="sales1")
    for ref, name, lang in [
        ("DEMO-C1", "علی رضایی", "fa"),
        ("DEMO-C2", "Acme Trading Co.", "en"),
        ("DEMO-C3", "فاطمه کریمی", "fa"),
    ]:
        Customer.objects.get_or_create(
            external_ref=ref,
            defaults={
                "display_name": name,
                "preferred_language": lang,
                "owner": sales1,
                "department": sales,
            },
        )
