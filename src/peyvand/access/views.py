"""Views of the access app: sign-in, second factor, and the settings screens."""
