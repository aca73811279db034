"""The base of Paperboy's management commands."""

from django.core.management import base

from config.logs import logging_for_verbosity


class BaseCommand(base.BaseCommand):
    """A command that prints its output and summary; its log lines only with -v 2 or more
    (warnings and errors always)."""

    def execute(self, *args, **options):
        with logging_for_verbosity(options.get("verbosity", 1)):
            return super().execute(*args, **options)
