"""The customer's side of Peyvand: portal sign-in and community. One module per area."""

from peyvand.portal.models.access import SignInCode
from peyvand.portal.models.updates import ProductSubscription, ReleaseNote

__all__ = ["ProductSubscription", "ReleaseNote", "SignInCode"]
