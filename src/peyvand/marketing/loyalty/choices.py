from django.db import models
from django.utils.translation import gettext_lazy as _


class EarnOn(models.TextChoices):
    """When an order earns its points."""

    PAID = "paid", _("When paid in full or fulfilled")
    CONFIRMED = "confirmed", _("When confirmed")


class LoyaltyAction(models.TextChoices):
    """Things a customer does, besides buying, that a programme may reward."""

    SIGNUP = "signup", _("Sign-up")
    REVIEW = "review", _("Product review")
    REFERRAL = "referral", _("Referral")
    BIRTHDAY = "birthday", _("Birthday")
    SURVEY = "survey", _("Survey answered")


class RewardKind(models.TextChoices):
    DISCOUNT = "discount", _("Discount on an order")
    OFFER = "offer", _("Offer")


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjusted")
    CLAWBACK = "clawback", _("Clawed back")
