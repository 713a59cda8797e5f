"""What tracking tells the rest of the system. Tracking knows outbound messages, not what
sent them: the campaigns app listens here to count its variants' clicks and conversions."""

from django.dispatch import Signal

# Sent after commit-free recording of a person's first click on a message, or of the
# conversions tied to messages; arguments: kind ("click" or "conversion") and responses,
# a list of (outbound message id, when).
message_responded = Signal()
