"""Views of the channels app: parse, authorise through access helpers, call services, render."""
