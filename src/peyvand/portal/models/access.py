"""One-time sign-in codes for the portal: a six-digit code and a magic link sent together
to an email address or phone number on file. Only keyed hashes are stored, so a copy of the
table signs nobody in."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import StoredResponse
from peyvand.customers.choices import ContactKind


class SignInCode(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_sign_in_codes"
    )
    contact_point = models.ForeignKey(
        "customers.ContactPoint", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("sent by"), max_length=16, choices=ContactKind.choices)
    # Keyed hashes: of the normalised address (to find the pending code of an address
    # without storing which addresses asked), of the code and of the link's token.
    address_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    link_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("portal sign-in code")
        verbose_name_plural = _("portal sign-in codes")

    def __str__(self) -> str:
        return f"{self.kind} code #{self.pk}"


class PortalIdempotencyRecord(StoredResponse):
    """A portal customer's Idempotency-Key and the answer it got (see
    `peyvand.core.api.idempotency`): customers are not staff users, so their keys have a
    table of their own."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "key"], name="uniq_portal_idempotency_key")
        ]
        verbose_name = _("portal idempotency record")
        verbose_name_plural = _("portal idempotency records")

    def __str__(self) -> str:
        return self.key
