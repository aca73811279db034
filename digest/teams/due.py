"""Which teams are due which edition: as for readers, a team's digest goes at its send hour
in its own time zone (catching up on ticks missed in the last few hours), daily or on
Mondays, to teams that may be mailed that day and have no row for the edition yet."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from digest.editions.due import CATCH_UP_HOURS, frequencies_due
from subscriptions.models import Team, team_mailable_q


def team_zones_in_use() -> list[str]:
    """The time zones of active teams."""
    active = Team.objects.filter(status=Team.Status.ACTIVE)
    return list(active.values_list("timezone", flat=True).distinct().order_by("timezone"))


def teams_for_edition(*, edition: date) -> QuerySet[Team]:
    """Teams that may be mailed edition `edition`, are due it, and have no row for it yet."""
    return (Team.objects.filter(team_mailable_q(on=edition))
            .filter(frequency__in=frequencies_due(edition))
            .exclude(deliveries__edition=edition))


def teams_due_in(zone: str, *, now: datetime) -> tuple[date, QuerySet[Team]]:
    """The local edition date in `zone` at `now`, and that zone's teams due it then."""
    local = now.astimezone(ZoneInfo(zone))
    return local.date(), teams_for_edition(edition=local.date()).filter(
        timezone=zone, send_hour__lte=local.hour, send_hour__gt=local.hour - CATCH_UP_HOURS)


def teams_due(*, day: date | None, now: datetime) -> list[tuple[date, QuerySet[Team]]]:
    """Edition `day` for every team due it whatever its hour; without a day, the teams due
    now in their own time zones (what the send_digests command builds)."""
    if day is not None:
        return [(day, teams_for_edition(edition=day))]
    return [teams_due_in(zone, now=now) for zone in team_zones_in_use()]
