"""The time zones a reader picks from: the canonical zones tzdata lists for people (zone.tab:
one or more per country, e.g. Asia/Kolkata, Europe/Kyiv) and UTC, grouped by region, without
the legacy aliases that name the same zones (US/Eastern, Asia/Calcutta, Europe/Kiev). An
alias still arriving, from an older record, an import or a browser, is read as its zone:
the alias whose rules are byte for byte a listed zone's is that zone."""

import zoneinfo
from functools import cache
from importlib import resources
from pathlib import Path

# The regions people look under; zone.tab's zones all start with one of them.
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
           "Europe", "Indian", "Pacific")


def _tzdata_file(name: str) -> bytes | None:
    """A file of the time zone database, where zoneinfo finds it: the system's, or the
    tzdata package's."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / name
        if path.is_file():
            return path.read_bytes()
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


@cache
def all_zones() -> frozenset[str]:
    """Every name zoneinfo knows, aliases included: what the forms accept."""
    return frozenset(zoneinfo.available_timezones() - {"localtime", "Factory"})


@cache
def canonical_zones() -> tuple[str, ...]:
    """UTC and zone.tab's zones; without zone.tab, every name under a region."""
    table = _tzdata_file("zone.tab")
    if table:
        names = {line.split("\t")[2].strip() for line in table.decode().splitlines()
                 if line and not line.startswith("#")}
    else:
        names = {name for name in all_zones() if name.split("/")[0] in REGIONS}
    return ("UTC", *sorted(names & all_zones()))


@cache
def zone_aliases() -> dict[str, str]:
    """{alias: canonical zone} for every other name whose rules are a listed zone's."""
    listed = set(canonical_zones())
    by_rules = {}
    for name in sorted(listed, reverse=True):  # the first in sorted order wins
        by_rules[_tzdata_file(name)] = name
    aliases = {}
    for name in all_zones() - listed:
        rules = _tzdata_file(name)
        if rules is not None and rules in by_rules:
            aliases[name] = by_rules[rules]
    return aliases


def canonical_zone(name: str) -> str:
    """The listed zone a name means (itself when listed or unknown)."""
    return zone_aliases().get(name, name)


def zone_label(name: str) -> str:
    """How a zone reads under its region: America/Argentina/Buenos_Aires -> Argentina /
    Buenos Aires."""
    return name.split("/", 1)[-1].replace("_", " ").replace("/", " / ")


@cache
def zone_choices() -> list:
    """UTC, then each region's zones by name, as a select's option groups."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in canonical_zones()[1:]:
        groups.setdefault(name.split("/")[0], []).append((name, zone_label(name)))
    return [("UTC", "UTC")] + [(region, sorted(zones, key=lambda zone: zone[1]))
                               for region, zones in sorted(groups.items())]
