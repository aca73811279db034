"""Choosing a team's papers from its members' own rankings. Pure: no models, no settings.

Each member brings their best papers of the edition, best first (what their own digest
would carry). The team's digest is chosen by greedy coverage, so that every member's best
matches are represented and nobody's list floods it:

1. Votes: a paper the members voted down ("Less like this" outweighing "More like this")
   leaves every list; one they voted up moves to the front of the lists that have it, and
   of each voter's.
2. Shared papers first: again and again, the paper in the lists of the most members not yet
   covered (ties: more members in all, then the better ranks), while it covers two or more.
3. Then each member in turn, those with the fewest papers so far first (so anyone not yet
   covered before anyone else's second), gets their best paper not yet chosen.

up to the team's limit. Each chosen paper names every member whose list has it; the
digest shows the papers for more members first.
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Pick:
    paper: int
    members: tuple[Hashable, ...]  # whom it is for, in the order the members came


def papers_for_team(wants: Mapping[Hashable, Sequence[int]], *, limit: int,
                    votes: Mapping[Hashable, Mapping[int, int]] | None = None) -> list[Pick]:
    """`wants`: each member's papers, best first. `votes`: each member's votes (+1 or -1)
    on papers of the edition. Returns the chosen papers, those for more members first (in
    the order chosen among equals)."""
    lists = votes_applied(wants, votes or {})
    rank = {member: {paper: i for i, paper in enumerate(papers)}
            for member, papers in lists.items()}
    wanted_by: dict[int, list[Hashable]] = {}
    for member, papers in lists.items():
        for paper in papers:
            wanted_by.setdefault(paper, []).append(member)
    chosen: list[int] = []
    picks = dict.fromkeys(lists, 0)  # papers chosen so far that each member wanted

    def choose(paper: int) -> None:
        chosen.append(paper)
        for member in wanted_by[paper]:
            picks[member] += 1

    while len(chosen) < limit:
        best = _best_shared(wanted_by, rank, picks, chosen)
        if best is None:
            break
        choose(best)
    order = list(lists)
    while len(chosen) < limit:
        hungry = [m for m in order if any(p not in chosen for p in lists[m])]
        if not hungry:
            break
        member = min(hungry, key=lambda m: picks[m])  # min keeps the first of equals
        choose(next(p for p in lists[member] if p not in chosen))
    picks = [Pick(paper, tuple(wanted_by[paper])) for paper in chosen]
    return sorted(picks, key=lambda pick: -len(pick.members))  # shown: shared papers first


def _best_shared(wanted_by: dict[int, list[Hashable]], rank: dict[Hashable, dict[int, int]],
                 picks: dict[Hashable, int], chosen: list[int]) -> int | None:
    """The paper not chosen yet that the most uncovered members want (two at least)."""
    best, best_key = None, None
    for paper, members in wanted_by.items():
        uncovered = sum(1 for m in members if picks[m] == 0)
        if uncovered < 2 or paper in chosen:
            continue
        key = (uncovered, len(members), -sum(rank[m][paper] for m in members))
        if best_key is None or key > best_key:
            best, best_key = paper, key
    return best


def votes_applied(wants: Mapping[Hashable, Sequence[int]],
                  votes: Mapping[Hashable, Mapping[int, int]]) -> dict[Hashable, list[int]]:
    """Each member's list with the members' votes counted: down-voted papers out, up-voted
    ones first (the most up-voted first), a voter's up-voted paper added to their list."""
    net: dict[int, int] = {}
    for theirs in votes.values():
        for paper, value in theirs.items():
            net[paper] = net.get(paper, 0) + value
    lists = {}
    for member, papers in wants.items():
        liked = [p for p, v in votes.get(member, {}).items() if v > 0 and p not in papers]
        kept = [p for p in [*liked, *papers] if net.get(p, 0) >= 0]
        risen = sorted((p for p in kept if net.get(p, 0) > 0), key=lambda p: -net[p])
        lists[member] = [*risen, *(p for p in kept if net.get(p, 0) == 0)]
    return lists
