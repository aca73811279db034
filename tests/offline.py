"""Run a manage.py command with the network down: every request the commands make is refused,
and their retries do not wait. Tests run it in a subprocess to see what a shell sees: the
exit code and the printed lines. It migrates the (fresh) database first.

    python -m tests.offline run_daily
"""

import os
import sys

import django
import httpx


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("network is unreachable", request=request)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command, execute_from_command_line

    from digest.ingest import today
    from digest.management.commands import ingest, run_daily

    for module in (ingest, today):
        module.build_client = lambda **options: httpx.Client(
            transport=httpx.MockTransport(refuse))
    for command in (ingest, run_daily):
        command.sleep = lambda seconds: None
    call_command("migrate", verbosity=0)
    execute_from_command_line(["manage.py", *sys.argv[1:]])


if __name__ == "__main__":
    main()
