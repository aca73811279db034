"""The filter language, row by row and rule by rule as its spec states it (docs/filters.md is
the readers' copy)."""

import pytest

from digest.match.index import PaperDoc, PaperIndex
from subscriptions.filters import (
    FilterError,
    parse_line,
    parse_lines,
    tokenize,
    validate_interest_lines,
)

PAPER = PaperDoc(
    key=1,
    title="Self-Supervised World Models for Robot Agents",
    abstract=("We scale sparse autoencoders on LLMs trained with 512 GPUs. The Schrödinger "
              "bridge improves diffusion sampling. Reinforcement learning is left for later."),
    authors=("Yann LeCun", "Geoffrey Hinton"),
    categories=("cs.LG", "cs.RO"),
    keywords=("language model", "naïve Bayes"),
)


def matches(line: str, paper: PaperDoc = PAPER) -> bool:
    return bool(PaperIndex([paper]).line_bits(parse_line(line))[0])


@pytest.mark.parametrize(("line", "expected"), [
    # every word must appear (AND), in any default field
    ("sparse autoencoder", True),
    ("sparse transformer", False),
    ("robot autoencoders", True),  # separate terms may match in different fields
    # a phrase: adjacent, in order, inside one field
    ('"language model"', True),
    ('"model language"', False),
    ('"world models"', True),
    ('"agents we"', False),  # title's last word + abstract's first: never across fields
    ('"Bayes language"', False),  # never across two AI keywords
    # exclusions
    ("diffusion -robotics", False),  # the title's "Robot" has the stem of "robotics"
    ("diffusion -transformer", True),
    ('autoencoders -"reinforcement learning"', False),
    ('autoencoders -"learning reinforcement"', True),
    # prefix
    ("diffus*", True),
    ("autoenc*", True),
    ("transform*", False),
    # fields
    ("title:agent", True),
    ("title:diffusion", False),
    ('title:"world model"', True),
    ("author:Hinton", True),
    ("author:hinton", True),
    ('author:"Yann LeCun"', True),
    ('author:"LeCun Geoffrey"', False),  # a phrase never spans two authors
    ("author:Schrodinger", False),
    ("cat:cs.RO", True),
    ("cat:CS.ro", True),
    ("cat:cs.CV", False),
    ("cat:cs", False),  # exact category, not a prefix
    # OR: either alternative, bound tighter than the implicit AND
    ('diffusion OR "flow matching" robot', True),
    ('transformer OR "flow matching" robot', False),  # neither alternative is there
    ('diffusion OR transformer robot', True),
    ("transformer OR diffusion robot", True),  # the order of alternatives does not matter
    ("diffusion OR transformer vision", False),  # the group matches, "vision" does not
    ("transformer OR video OR title:agent", True),  # a chain: the third alternative is there
    ("transformer OR video OR title:diffusion", False),
    ("cat:cs.CV OR author:Hinton", True),
    ("cat:cs.CV OR author:Turing", False),
    ("diffusion OR transformer -robotics", False),  # the exclusion applies to the whole line
    ("sparse or", False),  # lower-case "or" is a word, and the paper has no "or"
    # punctuation inside a bare term: the phrase of its words
    ("self-supervised", True),
    ("supervised-self", False),
    ("self supervised", True),
])
def test_each_row_of_the_table(line, expected):
    assert matches(line) is expected


def test_exclusion_of_a_word_that_is_there():
    assert matches("sparse -robot") is False  # "Robot" is in the title
    assert matches("sparse -robotics") is False  # robotics and robot share the stem


@pytest.mark.parametrize(("query", "text"), [
    ("Schrödinger", "Schrodinger"),
    ("Schrodinger", "Schrödinger"),
    ("naive", "naïve"),
    ("LLMs", "llm"),
    ("llm", "LLMs"),
    ("llms", "LLM"),
    ("GPUs", "GPU"),
    ("GPU", "GPUs"),
    ("SAEs", "SAE"),
    ("cnns", "CNN"),
    ("networks", "network"),
    ("biases", "bias"),
    ("generative", "generation"),
    ("GPT-4", "gpt 4"),
    ("fine-tuning", "ﬁne-tuning"),  # the ligature folds
])
def test_normalization_is_the_same_for_text_and_query(query, text):
    paper = PaperDoc(key=1, title=text)
    assert matches(query, paper), f"{query!r} should match a title {text!r}"


def test_a_prefix_compares_against_the_word_before_stemming():
    paper = PaperDoc(key=1, title="Generation of images")
    assert matches("generat*", paper)
    assert matches("generatio*", paper)  # the stem is "generat"; the word is "generation"
    assert not matches("generativ*", paper)


def test_words_are_runs_of_letters_and_digits():
    assert [lowered for lowered, _ in tokenize("GPT-4o's 3D_world (v2.0)")] == [
        "gpt", "4o", "s", "3d", "world", "v2", "0"]


def test_acronym_plural_rules_leave_ordinary_words_alone():
    assert [stem for _, stem in tokenize("LLMs GPUs gpus bias lens 1990s")] == [
        "llm", "gpu", "gpus", "bias", "len", "1990"]


@pytest.mark.parametrize(("line", "message"), [
    ("-robotics", "only excludes; add at least one word"),
    ('-robotics -"reinforcement learning"', "only excludes"),
    ('"language model', "“\"language model” has a quote that is never closed"),
    ('language model"', "“model\"” has a quote that is never closed"),
    ('title:"world model', "“title:\"world model” has a quote that is never closed"),
    ('sparse -"reinforcement learning', "“-\"reinforcement learning” has a quote"),
    ("OR diffusion", "“OR” cannot start a line"),
    ("OR", "“OR” cannot start a line"),
    ("diffusion OR", "“OR” cannot end a line"),
    ("diffusion OR OR video", "“OR OR”: OR twice in a row"),
    ("diffusion OR -robotics", "“OR -robotics”: OR cannot join an exclusion"),
    ('-"reinforcement learning" OR diffusion', "“-\"reinforcement learning\" OR”: OR cannot join"),
    ("-robotics OR -video", "“-robotics OR”: OR cannot join an exclusion"),
    ("title:", "needs something to look for"),
    ("cat:cs.CL!", "cat: takes an arXiv category"),
    ("abstract:diffusion", "“abstract:” is not a field"),
    ("*** ---", "has no letters or digits"),
    ("x" * 201, "at most 200 characters; this one has 201"),
    ("   ", "The line is empty"),
])
def test_lines_that_cannot_be_used_say_why_in_one_line(line, message):
    with pytest.raises(FilterError, match=message) as raised:
        parse_line(line)
    assert "\n" not in str(raised.value)


def test_a_textarea_is_checked_line_by_line_with_numbers():
    assert len(parse_lines("sparse autoencoder\n\n  cat:cs.CL  \n")) == 2
    with pytest.raises(FilterError, match="Line 2: .*only excludes"):
        parse_lines("diffusion\n-robotics\n")
    with pytest.raises(FilterError, match="At most 20 lines, please; you have 21"):
        parse_lines("\n".join(f"word{n}" for n in range(21)))


@pytest.mark.parametrize("line", ["-robotics", 'diffusion OR "flow', "diffusion OR"])
def test_a_line_on_its_own_gets_the_parsers_message_word_for_word(line):
    """A single line reads the same in a textarea as on the command line."""
    with pytest.raises(FilterError) as alone:
        parse_line(line)
    with pytest.raises(FilterError) as in_textarea:
        validate_interest_lines(f"\n  {line} \n\n")
    assert str(in_textarea.value) == str(alone.value)


def test_validated_lines_are_stored_tidy():
    text = "  sparse   autoencoder \n\n diffusion OR  video\n"
    assert validate_interest_lines(text) == "sparse autoencoder\ndiffusion OR video"
    assert validate_interest_lines("") == ""


@pytest.mark.parametrize(("first", "second"), [
    ("LLMs", "llm"),
    ("diffusion OR video", "video OR diffusion"),
    ('a OR "b c" OR d e', 'e d OR "b c" OR a'),
    ("sparse sparse", "sparse"),
    ("LLMs OR llm", "llm"),  # an alternative to itself is no alternative
    ("x -y -y", "x -y"),
])
def test_lines_that_mean_the_same_share_a_key(first, second):
    assert parse_line(first).key == parse_line(second).key


@pytest.mark.parametrize(("first", "second"), [
    ("a OR b c", "a b OR c"),
    ("a OR b", "a b"),
    ("a OR b", "a -b"),
])
def test_lines_that_differ_have_different_keys(first, second):
    assert parse_line(first).key != parse_line(second).key


def test_or_groups_are_read_as_written():
    query = parse_line('diffusion OR "flow matching" OR title:agent video -robotics')
    assert [[term.text for term in group] for group in query.groups] == [
        ["diffusion", '"flow matching"', "title:agent"], ["video"]]
    assert [term.text for term in query.negatives] == ["-robotics"]
    # OR only counts in capitals and on its own
    for line in ("diffusion or video", 'diffusion OR"flow matching"', "title:OR video",
                 '"OR" video'):
        assert all(len(group) == 1 for group in parse_line(line).groups), line


def test_smart_quotes_from_a_phone_keyboard_are_quotes():
    assert matches("“language model”")
