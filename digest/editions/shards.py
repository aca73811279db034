"""An edition's readers cut into shards by id range, so that build tasks on any number of
workers each match and write one range (learned scoring included) and nothing else.

The tick reads one boundary id per shard, in one query (a window function numbering the due
readers by id), never the list of ids: ten million due readers are a thousand shards and a
thousand small messages. A shard task reads its range again with the tick's clock, so it
builds exactly the readers the tick saw as due (and any who became due in that range since).
"""

from dataclasses import dataclass

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import Mod, RowNumber


@dataclass(frozen=True)
class IdRange:
    """Reader ids first..before (before excluded; None: no end)."""

    first: int
    before: int | None

    def of(self, readers: QuerySet) -> QuerySet:
        readers = readers.filter(pk__gte=self.first)
        return readers if self.before is None else readers.filter(pk__lt=self.before)


def id_ranges(readers: QuerySet, *, size: int) -> tuple[list[IdRange], int]:
    """These readers in ranges of `size` (the last may hold fewer), in id order, and how
    many readers there are."""
    numbered = readers.order_by().annotate(row=Window(RowNumber(), order_by=F("pk").asc()),
                                           total=Window(Count("pk")))
    starts = list(numbered.alias(place=Mod(F("row") - 1, size)).filter(place=0)
                  .order_by("pk").values_list("pk", "total"))
    firsts = [first for first, _ in starts]
    ranges = [IdRange(first, before) for first, before in zip(firsts, [*firsts[1:], None],
                                                                  strict=False)]
    return ranges, starts[0][1] if starts else 0
