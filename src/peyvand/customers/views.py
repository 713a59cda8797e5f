"""Views of the customers app: parse, authorise through access helpers, call services, render."""
