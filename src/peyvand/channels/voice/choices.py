from django.db import models
from django.utils.translation import gettext_lazy as _


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    VOICEMAIL = "voicemail", _("Voicemail")
    FAILED = "failed", _("Failed")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CALLBACK = "callback", _("Call back requested")


class CallState(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("In progress")
    ENDED = "ended", _("Ended")
