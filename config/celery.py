"""The Celery app: settings come from Django's (CELERY_* names), tasks from each app's tasks.py."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# DjangoTask adds delay_on_commit: queue a task only once the transaction commits.
app = Celery("paperboy", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One beat process runs these; the tasks themselves are safe to run twice.
app.conf.beat_schedule = {
    # arXiv rebuilds its feeds around 00:00 US Eastern; Hugging Face has most of a day by then.
    "ingest-daily": {
        "task": "digest.tasks.ingest_daily",
        "schedule": crontab(hour=5, minute=30),
    },
    # Subscribers choose their hour in their own timezone; some zones are offset by 15 minutes.
    "dispatch-tick": {
        "task": "digest.tasks.dispatch_tick",
        "schedule": crontab(minute="*/15"),
    },
    "purge-unconfirmed": {
        "task": "subscriptions.tasks.purge_unconfirmed",
        "schedule": crontab(hour=3, minute=0),
    },
}
