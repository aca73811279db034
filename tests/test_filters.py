"""The filter language, row by row and rule by rule as shared/FILTERS.md states it."""

import pytest

from digest.filters import FilterError, parse_line, parse_lines, tokenize
from digest.matching import PaperDoc, PaperIndex

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
    ('"language model', "quote that is never closed"),
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


def test_smart_quotes_from_a_phone_keyboard_are_quotes():
    assert matches("“language model”")
