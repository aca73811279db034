from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "digest"
    verbose_name = "Papers and digests"

    def ready(self):
        # The operators' screens live with the other screens, not in digest/admin.py where
        # the admin would look for them.
        from digest.screens import admin, follow_admin  # noqa: F401
