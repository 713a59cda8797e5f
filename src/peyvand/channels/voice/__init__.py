"""Phone: call logging, click-to-call, and the telephony webhook behind the screen pop."""
