"""Views of the catalog app: parse, authorise through access helpers, call services, render."""
