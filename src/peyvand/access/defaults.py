"""The departments and roles a new Peyvand starts with (demo, tests, first run)."""

from __future__ import annotations

from typing import Any

from peyvand.access.choices import Scope

DEPARTMENTS: list[dict[str, str]] = [
    {"code": "management", "name": "Management", "name_fa": "مدیریت"},
    {"code": "sales", "name": "Sales", "name_fa": "فروش"},
    {"code": "marketing", "name": "Marketing", "name_fa": "بازاریابی"},
    {"code": "service", "name": "Customer service", "name_fa": "خدمات مشتریان"},
]

_CRUD = ["view", "add", "change", "delete"]

ROLES: list[dict[str, Any]] = [
    {
        "code": "manager",
        "name": "Manager",
        "name_fa": "مدیر",
        "scope": Scope.ALL,
        "is_manager": True,
        "permissions": {},
    },
    {
        "code": "sales_rep",
        "name": "Sales representative",
        "name_fa": "کارشناس فروش",
        "scope": Scope.OWN,
        "permissions": {
            "customer": [*_CRUD, "export", "import"],
            "interaction": ["view", "add", "change"],
            "order": ["view", "add", "change"],
            "lead": ["view", "add", "change", "import", "export"],
            "opportunity": ["view", "add", "change", "export"],
            "quote": ["view", "add", "change"],
            "contract": ["view", "add", "change"],
            "product": ["view"],
            "task": ["view", "add", "change", "assign"],
            "kb_article": ["view"],
        },
    },
    {
        "code": "service_agent",
        "name": "Service agent",
        "name_fa": "کارشناس خدمات",
        "scope": Scope.DEPARTMENT,
        "permissions": {
            "customer": ["view", "change"],
            "interaction": ["view", "add", "change"],
            "order": ["view"],
            "contract": ["view"],
            "product": ["view"],
            "task": ["view", "add", "change", "assign"],
            "kb_article": ["view", "add", "change"],
            "ticket": ["view", "add", "change"],
            "forum_post": ["view", "add", "moderate"],
            "idea": ["view"],
            "service_order": ["view", "add", "change"],
        },
    },
    {
        "code": "marketer",
        "name": "Marketer",
        "name_fa": "کارشناس بازاریابی",
        "scope": Scope.DEPARTMENT,
        "permissions": {
            "customer": ["view", "export"],
            "interaction": ["view"],
            "product": ["view"],
            "task": ["view", "add", "change"],
            "tracking_site": ["view", "add", "change"],
            "segment": ["view", "add", "change", "delete"],
            "attribution": ["view", "add", "change", "delete"],
            "suppression": ["view", "add", "change", "delete"],
            "loyalty": ["view", "add", "change", "delete"],
            "campaign": ["view", "add", "change", "delete"],
            "kb_article": ["view", "add", "change"],
            "forum_post": ["view"],
            "idea": ["view", "change"],
        },
    },
]

# username -> (first name, last name, department code, role code, language)
PERSONAS: dict[str, tuple[str, str, str, str, str]] = {
    "manager": ("Maryam", "Karimi", "management", "manager", "fa"),
    "sales1": ("Sara", "Ahmadi", "sales", "sales_rep", "fa"),
    "sales2": ("John", "Smith", "sales", "sales_rep", "en"),
    "service1": ("Reza", "Hosseini", "service", "service_agent", "fa"),
    "marketing1": ("Neda", "Rahimi", "marketing", "marketer", "en"),
}


def ensure_departments_and_roles() -> None:
    """Create the default departments and roles if missing; never overwrite edits."""
    from peyvand.access.models import Department, Role

    for dept in DEPARTMENTS:
        Department.objects.get_or_create(code=dept["code"], defaults=dept)
    for role in ROLES:
        Role.objects.get_or_create(code=role["code"], defaults=role)


def ensure_persona(username: str, password: str) -> Any:
    from peyvand.access.models import Department, Role, User

    first, last, dept, role, lang = PERSONAS[username]
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "language": lang,
            "email": f"{username}@peyvand.local",
        },
    )
    if created:
        user.set_password(password)
        user.save()
        user.departments.add(Department.objects.get(code=dept))
        user.roles.add(Role.objects.get(code=role))
    return user
