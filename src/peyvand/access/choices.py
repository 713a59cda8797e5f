from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """How far a role's grant reaches. Ordered: a wider scope includes the narrower ones."""

    NONE = "none", _("None")
    OWN = "own", _("Own records")
    DEPARTMENT = "department", _("Department")
    ALL = "all", _("All")


SCOPE_RANK = {Scope.NONE: 0, Scope.OWN: 1, Scope.DEPARTMENT: 2, Scope.ALL: 3}


class Action(models.TextChoices):
    VIEW = "view", _("View")
    ADD = "add", _("Add")
    CHANGE = "change", _("Change")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    MERGE = "merge", _("Merge")
    ASSIGN = "assign", _("Assign")


class ObjectType(models.TextChoices):
    """Object types a role grants actions on; each model names its own in `access_object_type`."""

    CUSTOMER = "customer", _("Customers")
    INTERACTION = "interaction", _("Interactions")
    ORDER = "order", _("Orders")
    LEAD = "lead", _("Leads")
    OPPORTUNITY = "opportunity", _("Opportunities")
    PRODUCT = "product", _("Products")
    QUOTE = "quote", _("Quotes")
    CONTRACT = "contract", _("Contracts")
    TASK = "task", _("Tasks")
    AUDIT = "audit", _("Audit log")
    SETTINGS = "settings", _("Settings")


class Language(models.TextChoices):
    EN = "en", "English"
    FA = "fa", "فارسی"


class ApiScope(models.TextChoices):
    """What an API token may be used for; the user's roles still decide which records."""

    ALL = "*", _("Everything the user may do")
    CUSTOMERS_READ = "customers:read", _("Read customers")
    CUSTOMERS_WRITE = "customers:write", _("Change customers")
    ORDERS_READ = "orders:read", _("Read orders")
    ORDERS_WRITE = "orders:write", _("Change orders")
    INTERACTIONS_READ = "interactions:read", _("Read interactions")
    INTERACTIONS_WRITE = "interactions:write", _("Record interactions")
    PRODUCTS_READ = "products:read", _("Read products")
    TASKS_READ = "tasks:read", _("Read tasks")
    TASKS_WRITE = "tasks:write", _("Change tasks")
    OPPORTUNITIES_READ = "opportunities:read", _("Read opportunities and pipelines")
    OPPORTUNITIES_WRITE = "opportunities:write", _("Change opportunities")
    QUOTES_READ = "quotes:read", _("Read quotes")
    QUOTES_WRITE = "quotes:write", _("Change quotes")
    CONTRACTS_READ = "contracts:read", _("Read contracts")
    CONTRACTS_WRITE = "contracts:write", _("Change contracts")
    LEADS_READ = "leads:read", _("Read leads")
    LEADS_WRITE = "leads:write", _("Change leads")
    FORECAST_READ = "forecast:read", _("Read forecasts and sales analytics")
    KB_READ = "kb:read", _("Read the knowledge base")
    KB_WRITE = "kb:write", _("Write knowledge-base articles")
    TICKETS_READ = "tickets:read", _("Read tickets")
    TICKETS_WRITE = "tickets:write", _("Open and change tickets")
    COMMUNITY_READ = "community:read", _("Read the community forums and ideas")
    COMMUNITY_WRITE = "community:write", _("Moderate the community forums")
    SERVICE_ORDERS_READ = "service_orders:read", _("Read service orders")
    SERVICE_ORDERS_WRITE = "service_orders:write", _("Create and change service orders")
