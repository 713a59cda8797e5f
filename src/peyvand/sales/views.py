"""Views of the sales app: parse, authorise through access helpers, call services, render."""
