from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Language, ObjectType
from peyvand.core.models import SoftDeleteModel, TimeStampedModel
from peyvand.customers.choices import (
    Channel,
    ConsentPurpose,
    ConsentStatus,
    ContactKind,
    CustomFieldType,
    PartyKind,
    RelationshipKind,
)
from peyvand.customers.querysets import CustomerChildQuerySet, CustomerQuerySet


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Customer(TimeStampedModel, SoftDeleteModel):
    """A party: a person or an organisation. The one record every department works from."""

    access_object_type = ObjectType.CUSTOMER
    access_owner_path = "owner"
    access_department_path = "department"

    kind = models.CharField(
        _("kind"), max_length=16, choices=PartyKind.choices, default=PartyKind.PERSON
    )
    display_name = models.CharField(_("name"), max_length=200)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    organization_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.FA
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="IRR")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
        # Served by the (…, deleted_at) index in Meta; a second one only slows writes.
        db_index=False,
        verbose_name=_("owner"),
    )
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        # Served by the (…, deleted_at) index in Meta; a second one only slows writes.
        db_index=False,
        verbose_name=_("department"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Normalised name, contact values, tags and custom values: what search and dedupe read.
    search_text = models.TextField(blank=True, editable=False)
    name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        editable=False,
    )
    external_ref = models.CharField(
        _("external reference"), max_length=100, blank=True, db_index=True
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "pk"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["owner", "deleted_at"]),
            models.Index(fields=["department", "deleted_at"]),
            # The list page: alive customers in name order, one page at a time.
            models.Index(fields=["display_name", "id"], name="customer_name_order"),
        ]

    def __str__(self) -> str:
        return self.display_name


class ContactPoint(TimeStampedModel):
    access_object_type = ObjectType.CUSTOMER
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    label = models.CharField(_("label"), max_length=60, blank=True)
    value = models.CharField(_("value"), max_length=500)
    # E.164 for phones, lower-case for emails, normalised text otherwise: the dedupe key.
    normalized = models.CharField(max_length=500, blank=True, db_index=True, editable=False)
    is_primary = models.BooleanField(_("primary"), default=False)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-is_primary", "pk"]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        indexes = [models.Index(fields=["kind", "normalized"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Consent(TimeStampedModel):
    """The latest consent decision per customer, channel and purpose; history is in the audit log."""

    access_object_type = ObjectType.CUSTOMER
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=ConsentPurpose.choices)
    status = models.CharField(_("status"), max_length=16, choices=ConsentStatus.choices)
    source = models.CharField(
        _("source"), max_length=120, help_text=_("Where the decision came from.")
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["channel", "purpose"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel", "purpose"], name="uniq_consent_per_purpose"
            )
        ]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        # The change log keeps this as the row's name: a new decision shows its source
        # on the customer's history without opening the row.
        return f"{self.channel}/{self.purpose}: {self.status} ({self.source})"


class Relationship(TimeStampedModel):
    access_object_type = ObjectType.CUSTOMER
    access_owner_path = "from_customer__owner"
    access_department_path = "from_customer__department"

    from_customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="relationships"
    )
    to_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="related_from")
    kind = models.CharField(_("kind"), max_length=20, choices=RelationshipKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_customer", "to_customer", "kind"], name="uniq_relationship"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_customer=models.F("to_customer")),
                name="relationship_not_self",
            ),
        ]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")

    def __str__(self) -> str:
        return f"{self.from_customer} {self.get_kind_display()} {self.to_customer}"


class CustomFieldDefinition(TimeStampedModel):
    """A field an administrator adds to customers without code; values live in `Customer.custom`."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label (English)"), max_length=120)
    label_fa = models.CharField(_("label (Persian)"), max_length=120, blank=True)
    field_type = models.CharField(_("type"), max_length=16, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    searchable = models.BooleanField(_("searchable"), default=True)
    show_in_list = models.BooleanField(_("show in list"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return (
            self.label_fa
            if (get_language() or "").startswith("fa") and self.label_fa
            else self.label
        )
