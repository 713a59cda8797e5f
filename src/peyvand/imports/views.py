"""Views of the imports app: the import wizard, job progress and exports."""
