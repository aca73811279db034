from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self):
        from subscriptions import webhooks  # noqa: F401  (connects the tracking receiver)
        from subscriptions.teams import admin  # noqa: F401  (the teams' admin)
