"""REST endpoints of the sales app: one router per resource, mounted by peyvand.config.api."""
