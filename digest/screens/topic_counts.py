"""How much each catalog topic would bring: its matches among the last week's papers."""

from digest.match.inputs import topic_lines
from digest.match.matching import match_few
from digest.match.readers import Reader
from digest.screens.live_preview import recent_index


def topic_matches_last_week() -> dict[str, int]:
    """Topic slug -> how many of the last 7 days of listings it matches (one matcher run)."""
    index, _ = recent_index()
    lines = topic_lines()
    if not len(index) or not lines:
        return {slug: 0 for slug in lines}
    readers = [Reader(key=n, topics=(slug,), limit=len(index)) for n, slug in enumerate(lines)]
    matches = match_few(readers, index, topics=lines)
    return {slug: int(matches.counts[n]) for n, slug in enumerate(lines)}
