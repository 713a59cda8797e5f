"""Views of the audit app: parse, authorise through access helpers, call services, render."""
