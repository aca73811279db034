"""The compiled matcher: ranking, limits, topics, exclusions, and agreement with the obvious
evaluator on random papers and lines (hypothesis)."""

import json
from datetime import date

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from digest.devtools.reference_matcher import line_hits, rank_for_reader
from digest.match.index import PaperDoc, PaperIndex
from digest.match.lines import EVERYTHING
from digest.match.matching import match
from digest.match.readers import Reader, ReaderRows, compile_readers, compile_rows
from digest.match.stored import stored_lines
from subscriptions.filters import FilterError, parse_line, reader_lines

DAY = date(2026, 11, 20)
PAPERS = [
    PaperDoc(1, "Agents that plan", "We study language model agents.", ("Ada Lovelace",),
             ("cs.AI",), (), upvotes=10, day=DAY),
    PaperDoc(2, "Scaling laws", "Agents appear in the abstract only.", ("Alan Turing",),
             ("cs.LG",), (), upvotes=90, day=DAY),
    PaperDoc(3, "Diffusion for agents", "A diffusion planner for agents.", ("Grace Hopper",),
             ("cs.LG", "cs.RO"), (), upvotes=50, day=date(2026, 11, 19)),
    PaperDoc(4, "Sparse autoencoders", "Features of language models.", ("Ada Lovelace",),
             ("cs.CL",), ("interpretability",), upvotes=50, day=DAY),
]


def run(readers, topics=None, papers=PAPERS):
    matches = match(compile_readers(readers, topics=topics or {}), PaperIndex(papers))
    return [matches.paper_keys(row) for row in range(len(readers))], matches


def test_title_hits_outrank_abstract_hits_then_more_lines_then_upvotes_then_newest():
    [ranked], _ = run([Reader(key=1, lines=("agent",))])
    assert ranked == [3, 1, 2]  # title hits (3 has more upvotes than 1), then abstract-only
    [ranked], _ = run([Reader(key=1, lines=("agent", "diffusion", "language"))])
    assert ranked == [3, 1, 2, 4]  # 3: title, 2 lines; 1: title; then 1 line: 2 (90), 4 (50)
    [ranked], _ = run([Reader(key=1, lines=("cat:cs.LG",))])
    assert ranked == [2, 3]
    [ranked], _ = run([Reader(key=1, lines=("language",))])
    assert ranked == [4, 1]  # same level: 4 has more upvotes


def test_newest_breaks_a_tie_in_upvotes():
    [ranked], _ = run([Reader(key=1, lines=("cat:cs.LG", "cat:cs.CL"))])
    assert ranked == [2, 4, 3]  # 4 and 3 both have 50; 4 is newer


def test_limits_minimum_upvotes_and_papers_already_sent():
    [capped, picky, seen], _ = run([
        Reader(key=1, lines=("agent",), limit=2),
        Reader(key=2, lines=("agent",), min_upvotes=20),
        Reader(key=3, lines=("agent",), sent=frozenset({3})),
    ])
    assert capped == [3, 1]
    assert picky == [3, 2]
    assert seen == [1, 2]


def test_readers_without_filters_get_the_top_papers_by_upvotes():
    [everything], _ = run([Reader(key=1, limit=3)])
    assert everything == [2, 4, 3]


def test_topics_add_their_lines_and_a_shared_line_counts_once():
    topics = {"agents": ["title:agent", "cat:cs.AI"], "interp": ["interpretability"]}
    [ranked, both], matches = run([Reader(key=1, topics=("agents",)),
                                   Reader(key=2, lines=("cat:cs.AI",), topics=("agents",))],
                                  topics=topics)
    assert ranked == [1, 3]  # 1 matches both topic lines
    assert both == ranked
    assert [paper.line_count for paper in matches.ranked(1)] == [2, 1]


def test_identical_lines_are_one_column_whatever_their_spelling():
    compiled = compile_readers(
        [Reader(key=n, lines=(line,)) for n, line in enumerate(["LLMs", "llm", " LLMs", "llms"])],
        topics={})
    assert len(compiled.lines) == 1


def test_a_stored_line_that_no_longer_parses_is_skipped_not_fatal():
    [ranked], matches = run([Reader(key=1, lines=("-robotics", "agent"))])
    assert ranked == [3, 1, 2]
    assert "only excludes" in matches.readers.rejected_lines["-robotics"]


def test_why_lists_the_lines_and_the_words_that_matched():
    _, matches = run([Reader(key=1, lines=("agent plan", '"language model"', "cat:cs.AI"))])
    [first, *_] = matches.ranked(0)
    assert first.key == 1 and first.title_hit and first.line_count == 3
    assert [(why.line, why.words) for why in first.why] == [
        ("agent plan", ["agents", "plan"]),
        ('"language model"', ["language", "model"]),
        ("cat:cs.AI", []),
    ]


def test_an_or_group_matches_either_side_and_says_which_words_matched():
    [ranked], matches = run([Reader(key=1, lines=("diffusion OR interpretability",))])
    assert ranked == [3, 4]  # 3 has "diffusion" in its title, 4 only an AI keyword
    assert [(paper.key, paper.title_hit, paper.why[0].words) for paper in matches.ranked(0)] == [
        (3, True, ["diffusion"]), (4, False, ["interpretability"])]
    [ranked], matches = run([Reader(key=1, lines=('"scaling laws" OR planner agents',))])
    assert ranked == [2, 3]  # each with one side of the group, and "agents" (title hits)
    assert [paper.why[0].words for paper in matches.ranked(0)] == [
        ["scaling", "laws", "agents"], ["planner", "agents"]]


def test_an_alternative_in_the_title_is_a_title_hit():
    # 2 matches "scaling" in its title: a title hit outranks paper 1's abstract-only match.
    [ranked], matches = run([Reader(key=1, lines=("scaling OR language",))])
    assert ranked == [2, 4, 1]
    assert [paper.title_hit for paper in matches.ranked(0)] == [True, False, False]


def test_or_lines_that_mean_the_same_are_one_column():
    compiled = compile_readers(
        [Reader(key=n, lines=(line,)) for n, line in enumerate(
            ["agent OR LLMs", "llm OR agents", "agents  OR  llms"])], topics={})
    assert len(compiled.lines) == 1


def test_many_readers_in_chunks_get_the_same_answer(monkeypatch):
    monkeypatch.setattr("digest.match.matching.CHUNK", 3)
    readers = [Reader(key=n, lines=(("agent", "language", "cat:cs.LG")[n % 3],), limit=1 + n % 4)
               for n in range(10)]
    ranked, _ = run(readers)
    for reader, result in zip(readers, ranked, strict=True):
        assert result == rank_for_reader(reader, PAPERS, {})


# --- property-based: the compiled matcher agrees with the obvious evaluator -----------------

WORDS = ["model", "models", "Model", "LLMs", "llm", "diffusion", "Diffusion", "robot",
         "robotics", "Schrödinger", "Schrodinger", "self", "supervised", "self-supervised",
         "GPT-4", "GPUs", "GPU", "agent", "agents", "learning", "reinforcement", "language",
         "world", "sparse", "autoencoders", "SAEs", "naïve", "ﬁne-tuning", "3D", "x", "or"]
NAMES = ["Yann LeCun", "Ada Lovelace", "Geoffrey Hinton", "Model Agent"]
CATEGORIES = ["cs.LG", "cs.CL", "cs.RO", "stat.ML"]

text = st.lists(st.sampled_from(WORDS), max_size=12).flatmap(
    lambda words: st.lists(st.sampled_from([" ", "-", ", ", ": ", ". "]),
                           min_size=len(words), max_size=len(words)).map(
        lambda seps: "".join(w + s for w, s in zip(words, seps, strict=True))))
papers = st.lists(
    st.builds(PaperDoc, key=st.integers(1, 10**6), title=text, abstract=text,
              authors=st.lists(st.sampled_from(NAMES), max_size=3).map(tuple),
              categories=st.lists(st.sampled_from(CATEGORIES), max_size=2).map(tuple),
              keywords=st.lists(text, max_size=3).map(tuple),
              upvotes=st.integers(0, 5), day=st.sampled_from([None, DAY, date(2026, 11, 19)])),
    min_size=1, max_size=8, unique_by=lambda p: p.key)
term = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(lambda w: w[:3] + "*"),
    st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(  # a phrase ending in a prefix
        lambda pair: f"{pair[0]}-{pair[1][:2]}*"),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=3).map(lambda ws: f'"{" ".join(ws)}"'),
    st.sampled_from(WORDS).map(lambda w: f"title:{w}"),
    st.sampled_from(["author:Hinton", 'author:"Yann LeCun"', 'author:"LeCun Ada"', "author:mod*"]),
    st.sampled_from(CATEGORIES + ["CS.lg"]).map(lambda c: f"cat:{c}"),
)
# A line: AND-ed parts, each an exclusion or a group of 1-3 alternatives joined by OR.
part = st.one_of(
    term.map(lambda t: "-" + t),
    st.lists(term, min_size=1, max_size=3).map(" OR ".join),
)
line = st.lists(part, min_size=1, max_size=3).map(" ".join)


# Lines of exclusions only are refused, and skipped here: sometimes most of a run's first
# examples, which is no reason to fail.
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(papers=papers, line=line)
def test_line_evaluation_agrees_with_the_obvious_evaluator(papers, line):
    try:
        query = parse_line(line)
    except FilterError:
        assume(False)
    index = PaperIndex(papers)
    matched, title = index.line_bits(query)
    for position, paper in enumerate(index.papers):
        expected = line_hits(query, paper)
        assert (bool(matched >> position & 1), bool(title >> position & 1)) == expected, paper


readers = st.lists(
    st.builds(Reader, key=st.integers(0, 2**40), lines=st.lists(line, max_size=3).map(tuple),
              topics=st.lists(st.sampled_from(["a", "b", "missing"]), max_size=2).map(tuple),
              min_upvotes=st.integers(0, 3), limit=st.integers(1, 4),
              sent=st.frozensets(st.integers(1, 10**6), max_size=2)),
    min_size=1, max_size=6)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(papers=papers, readers=readers, extra=st.data())
def test_ranked_digests_agree_with_the_per_reader_loop(papers, readers, extra):
    topics = {"a": ["agent", "cat:cs.LG"], "b": ['"language model"', "-robot model"]}
    readers = [
        Reader(key=r.key, lines=r.lines, topics=r.topics, min_upvotes=r.min_upvotes,
               limit=r.limit, sent=r.sent | extra.draw(st.frozensets(
                   st.sampled_from([p.key for p in papers]), max_size=2)))
        for r in readers]
    ranked, matches = run(readers, topics=topics, papers=papers)
    for row, (reader, result) in enumerate(zip(readers, ranked, strict=True)):
        assert result == rank_for_reader(reader, papers, topics)
        # What a delivery item stores, from cached pieces, says what ranked() says.
        assert [(key, json.loads(why)) for key, why in matches.items_json(row)] == [
            (paper.key, [{"line": w.line, "words": w.words} for w in paper.why])
            for paper in matches.ranked(row)]


stored_interests = st.lists(
    st.sampled_from(["agent", " LLMs ", "llm", "", "   ", "-robotics", "cat:cs.LG",
                     '"language model" -robot*', "diffusion OR agent", "author:Hinton"]),
    max_size=4).flatmap(lambda lines: st.sampled_from(["\n", "\r\n"]).map(
        lambda end: end.join(lines)))
stored_authors = st.lists(st.sampled_from(["Yann LeCun", " Ada Lovelace ", "", "Geoffrey Hinton",
                                           'Ada "the" Lovelace']), max_size=2).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(stored=st.lists(st.tuples(stored_interests, stored_authors), min_size=1, max_size=6))
def test_readers_compiled_from_their_stored_text_have_the_lines_reader_lines_gives(stored):
    interests, authors = map(list, zip(*stored, strict=True))
    line_rows, lines = stored_lines(interests, authors)
    readers = len(stored)
    from_text = compile_rows(ReaderRows(keys=list(range(readers)), line_rows=line_rows,
                                        lines=lines, min_upvotes=[0] * readers,
                                        limits=[10] * readers), topics={})
    one_by_one = compile_readers(
        [Reader(key=n, lines=reader_lines(interests=i, authors=a))
         for n, (i, a) in enumerate(stored)], topics={})

    def filters(compiled, row):
        columns = compiled.matrix.indices[compiled.matrix.indptr[row]:
                                          compiled.matrix.indptr[row + 1]]
        return EVERYTHING in columns, sorted(query.key for query in compiled.queries(row))

    assert [filters(from_text, row) for row in range(readers)] == [
        filters(one_by_one, row) for row in range(readers)]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=250))
def test_any_unicode_line_parses_or_fails_with_a_filter_error(anything):
    try:
        query = parse_line(anything)
    except FilterError as error:
        assert "\n" not in str(error)
    else:
        PaperIndex([PaperDoc(key=1, title=anything, abstract=anything)]).line_bits(query)


@settings(max_examples=100, deadline=None)
@given(st.text(), st.text(), st.lists(st.text(), max_size=3))
def test_any_unicode_paper_can_be_indexed(title, abstract, authors):
    index = PaperIndex([PaperDoc(key=1, title=title, abstract=abstract, authors=tuple(authors))])
    assert len(index) == 1


def test_the_explanations_an_index_keeps_are_bounded_and_answers_stay_the_same(monkeypatch):
    readers = [Reader(key=n, lines=("agent", "language", "cat:cs.LG", "diffusion")[: 1 + n % 4])
               for n in range(8)]
    _, unbounded = run(readers)
    expected = [unbounded.items_json(row) for row in range(len(readers))]
    monkeypatch.setattr("digest.match.index.WHY_KEPT", 3)
    _, bounded = run(readers)
    assert [bounded.items_json(row) for row in range(len(readers))] == expected
    assert len(bounded.index._words_cache) <= 3 and len(bounded.index._reason_cache) <= 3
