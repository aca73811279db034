"""Choosing a team's papers (digest.teams.coverage): plain functions, no database."""

from hypothesis import given
from hypothesis import strategies as st

from digest.teams.coverage import papers_for_team, votes_applied


def chosen(picks) -> list[int]:
    return [pick.paper for pick in picks]


def test_a_paper_several_members_want_comes_first_and_names_them_all():
    wants = {"ada": [1, 2, 3], "grace": [4, 5, 2], "alan": [6, 2, 7]}
    picks = papers_for_team(wants, limit=5)
    assert picks[0].paper == 2
    assert picks[0].members == ("ada", "grace", "alan")


def test_each_member_gets_their_best_paper_before_anyone_gets_a_second():
    wants = {"ada": [1, 2, 3, 4, 5, 6], "grace": [10, 11], "alan": [20]}
    assert chosen(papers_for_team(wants, limit=5)) == [1, 10, 20, 2, 11]


def test_a_long_list_does_not_flood_the_digest():
    wants = {"ada": list(range(100, 140)), "grace": [1, 2, 3], "alan": [4, 5, 6]}
    picks = papers_for_team(wants, limit=9)
    per_member = {m: sum(1 for pick in picks if m in pick.members) for m in wants}
    assert per_member == {"ada": 3, "grace": 3, "alan": 3}


def test_shared_papers_cover_the_most_members_when_slots_are_few():
    wants = {"a": [1, 9], "b": [2, 9], "c": [3, 8], "d": [4, 8], "e": [5]}
    picks = papers_for_team(wants, limit=3)
    assert chosen(picks) == [9, 8, 5]
    assert {m for pick in picks for m in pick.members} == set(wants)


def test_the_limit_is_the_teams_and_nothing_is_chosen_twice():
    wants = {"a": [1, 2, 3, 4], "b": [3, 4, 5, 6]}
    picks = papers_for_team(wants, limit=4)
    assert len(picks) == 4 and len(set(chosen(picks))) == 4


def test_a_paper_voted_down_drops_out_of_every_list():
    wants = {"ada": [1, 2, 3], "grace": [2, 4]}
    picks = papers_for_team(wants, limit=5, votes={"ada": {2: -1}})
    assert 2 not in chosen(picks)


def test_a_paper_voted_up_rises_to_the_front_of_the_lists_that_have_it():
    wants = {"ada": [1, 2, 3], "grace": [4, 5, 3]}
    assert votes_applied(wants, {"grace": {3: 1}}) == {"ada": [3, 1, 2], "grace": [3, 4, 5]}


def test_a_voters_up_voted_paper_joins_their_list():
    """A member who voted "More like this" on a paper knows it (their own ranking leaves it
    out), but the team should see it."""
    wants = {"ada": [1, 2], "grace": [4]}
    picks = papers_for_team(wants, limit=2, votes={"ada": {7: 1}})
    assert chosen(picks) == [7, 4]
    assert picks[0].members == ("ada",)


def test_votes_that_cancel_out_change_nothing():
    wants = {"ada": [1, 2], "grace": [2, 3]}
    assert votes_applied(wants, {"ada": {2: 1}, "grace": {2: -1}}) == wants


members = st.dictionaries(st.sampled_from("abcdefg"),
                          st.lists(st.integers(0, 30), unique=True, max_size=12), max_size=7)


@given(wants=members, limit=st.integers(1, 20))
def test_every_member_is_covered_when_there_is_room(wants, limit):
    picks = papers_for_team(wants, limit=limit)
    papers = chosen(picks)
    assert len(papers) == len(set(papers)) <= limit
    for pick in picks:  # each card names exactly the members whose list has it
        assert set(pick.members) == {m for m, theirs in wants.items() if pick.paper in theirs}
    with_papers = [m for m, theirs in wants.items() if theirs]
    everyone = set().union(*wants.values()) if wants else set()
    if limit >= len(with_papers):
        assert {m for pick in picks for m in pick.members} == set(with_papers)
    assert len(papers) == min(limit, len(everyone))
