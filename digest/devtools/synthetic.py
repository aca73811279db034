"""A realistic synthetic population for benchmarks: ML papers and readers' interest lines.

Papers are sentences drawn from an ML vocabulary (terms Zipf-weighted, so "model" and
"learning" are everywhere and "speculative decoding" is rare). Readers pick 1-5 lines drawn
Zipf-like from a catalogue of terms, phrases, prefixes, field terms and exclusions, some
with topics, a few with no filters at all. Seeded: the same arguments give the same data.
"""

import itertools
import random
import re
from datetime import date, timedelta

from digest.match.index import PaperDoc
from digest.match.readers import Reader
from subscriptions.filters import author_line, parse_line

TERMS = """
learning model models training data neural network networks language transformer attention
diffusion reinforcement agent agents reasoning benchmark evaluation dataset fine-tuning
pretraining inference optimization generalization robustness alignment safety vision image
images video audio speech text retrieval embedding embeddings graph graphs policy reward
planning memory context scaling efficient quantization distillation pruning sparse
autoencoder autoencoders interpretability features circuits probing multimodal LLMs LLM
VLM RLHF GRPO RAG tokens tokenizer decoding sampling generation generative adversarial
contrastive self-supervised supervised unsupervised semi-supervised segmentation detection
classification regression clustering kernel Bayesian uncertainty calibration causal
counterfactual fairness privacy federated differential robot robotics manipulation
navigation embodied world simulation physics molecules protein chemistry medical clinical
code programming math theorem proof chain-of-thought tool web browser search ranking
recommendation time-series forecasting anomaly compression latent flow matching
consistency score energy variational transformer-based mixture experts routing KV cache
long-context hallucination factuality jailbreak red-teaming watermark copyright
""".split()

PHRASES = [
    "language model", "large language models", "reinforcement learning", "sparse autoencoder",
    "diffusion model", "flow matching", "mixture of experts", "speculative decoding",
    "KV cache", "chain of thought", "vision-language model", "world model", "reward model",
    "policy optimization", "in-context learning", "test-time compute", "instruction tuning",
    "graph neural network", "neural radiance fields", "3D reconstruction", "object detection",
    "image generation", "video generation", "text-to-speech", "speech recognition",
    "retrieval-augmented generation", "dense retrieval", "knowledge distillation",
    "model merging", "low-rank adaptation", "preference optimization", "red teaming",
    "mechanistic interpretability", "theorem proving", "code generation", "web agent",
    "tool use", "long context", "state space model", "contrastive learning",
]

FIRST = ["Ada", "Alan", "Grace", "Yann", "Geoffrey", "Fei-Fei", "Yoshua", "Mira", "Tomás",
         "Lena", "Kenji", "Priya", "Samuel", "Yuki", "Ines", "Wei", "Olga", "Arjun", "Chloé",
         "Noah", "Amara", "Sofia", "Daniel", "Fatima", "Hannah", "Lucas", "Elena", "Pedro"]
LAST = ["Lovelace", "Turing", "Hopper", "LeCun", "Hinton", "Li", "Bengio", "Okafor", "Herrera",
        "Vogel", "Watanabe", "Raman", "Adeyemi", "Tanaka", "Duarte", "Zhang", "Petrova",
        "Mehta", "Martin", "Fischer", "Nwosu", "Rossi", "Kim", "Zahra", "Schmidt", "Moreau"]
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "cs.RO", "cs.IR", "stat.ML", "cs.SD",
              "eess.AS", "cs.CR", "q-bio.QM"]
FILLER = "we propose a new method for the and of in on with to show that our results improve"


def zipf_weights(n: int, exponent: float = 1.1) -> list[float]:
    return [1 / (rank ** exponent) for rank in range(1, n + 1)]


def papers(count: int, *, seed: int = 1, first_day: date = date(2026, 11, 16)) -> list[PaperDoc]:
    rng = random.Random(seed)
    vocabulary = TERMS + PHRASES
    weights = zipf_weights(len(vocabulary), 0.9)
    filler = FILLER.split()

    def sentence(length: int) -> str:
        words = []
        for _ in range(length):
            if rng.random() < 0.35:
                words.append(rng.choices(vocabulary, weights)[0])
            else:
                words.append(rng.choice(filler))
        return " ".join(words)

    result = []
    for key in range(1, count + 1):
        title = sentence(rng.randint(5, 12)).capitalize()
        abstract = ". ".join(sentence(rng.randint(12, 25)) for _ in range(rng.randint(5, 8)))
        result.append(PaperDoc(
            key=key,
            title=title,
            abstract=abstract,
            authors=tuple(f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                          for _ in range(rng.randint(1, 8))),
            categories=tuple(rng.sample(CATEGORIES, rng.randint(1, 3))),
            keywords=tuple(rng.sample(PHRASES + TERMS[:60], rng.randint(0, 5))),
            upvotes=int(rng.paretovariate(1.2)) - 1,
            day=first_day + timedelta(days=rng.randrange(5)),
        ))
    return result


FOLLOWED = 0.15  # readers who follow an author or two (their author:"..." lines)


def phrases_of_papers(*, seed: int = 1, count: int = 400) -> list[str]:
    """Pairs and triples of adjacent words that the papers really contain (none of them
    filler), so quoted phrases match as readers' phrases do, now and then."""
    filler = set(FILLER.split())
    found: dict[str, None] = {}
    for paper in papers(200, seed=seed):
        words = re.findall(r"[^ .]+", f"{paper.title} {paper.abstract}".lower())
        for size in (2, 2, 3):
            for start in range(len(words) - size + 1):
                run = words[start:start + size]
                if not filler.intersection(run):
                    found.setdefault(" ".join(run))
    return list(found)[:count]


def line_catalogue(*, seed: int = 1, size: int = 4_000) -> list[str]:
    """Distinct lines as researchers write them, most popular first: about half hold a
    phrase (quoted, or a hyphenated word such as self-supervised), the others words,
    prefixes, exclusions, OR, title:, author: and cat: terms, all drawn from the papers'
    own vocabulary."""
    rng = random.Random(seed)
    broad = ['"language model"', "LLMs", '"reinforcement learning"', "diffusion",
             '"diffusion model"', "learning", "agents"]
    quoted = [f'"{p}"' for p in PHRASES + phrases_of_papers(seed=seed)]
    hyphenated = [t for t in TERMS if "-" in t]
    plain = [t for t in TERMS if "-" not in t]

    def word() -> str:
        return rng.choice(plain)

    def phrase() -> str:
        return rng.choice(quoted) if rng.random() < 0.8 else rng.choice(hyphenated)

    def prefix() -> str:
        stem = rng.choice(plain)
        return f"{stem[:max(3, len(stem) - rng.randint(1, 4))]}*"

    def author() -> str:
        last = rng.choice(LAST)
        return f"author:{last}" if rng.random() < 0.4 else f'author:"{rng.choice(FIRST)} {last}"'

    kinds = [  # (share of the catalogue, how to write one)
        (0.16, lambda: phrase()),
        (0.16, lambda: f"{phrase()} {word()}"),
        (0.08, lambda: f"{phrase()} -{rng.choice([word(), phrase()])}"),
        (0.06, lambda: f"{word()} OR {phrase()} {word()}"),
        (0.05, lambda: f"title:{phrase()}"),
        (0.05, lambda: f"{phrase()} cat:{rng.choice(CATEGORIES)}"),
        (0.10, lambda: f"{word()} {word()}"),
        (0.04, lambda: word()),
        (0.06, lambda: prefix() if rng.random() < 0.5 else f"{prefix()} {word()}"),
        (0.06, lambda: f"{word()} -{word()}"),
        (0.02, lambda: f"{word()} OR {word()}"),
        (0.03, lambda: f"title:{word()}"),
        (0.05, lambda: author()),
        (0.03, lambda: f"cat:{rng.choice(CATEGORIES)}" if rng.random() < 0.3
         else f"{word()} cat:{rng.choice(CATEGORIES)}"),
    ]
    shares = [share for share, _ in kinds]
    lines = dict.fromkeys(broad)
    while len(lines) < size:
        _, write = rng.choices(kinds, shares)[0]
        lines.setdefault(write())
    return list(lines)


def line_kind(line: str) -> str:
    """What a benchmark reports of a line: its most costly kind of term."""
    if '"' in re.sub(r'author:"[^"]*"', "", line) or re.search(r"\w-\w", line):
        return "phrase"
    for kind, pattern in (("prefix", r"\*"), ("exclusion", r"(^| )-"), ("author", "author:"),
                          ("category", "cat:")):
        if re.search(pattern, line):
            return kind
    return "words"


TOPICS = {
    "llm": ['"language model"', "LLMs", "title:transformer", '"instruction tuning"'],
    "vision": ["segmentation", '"object detection"', "cat:cs.CV", '"video generation"'],
    "rl": ['"reinforcement learning"', "RLHF", '"policy optimization"', "GRPO"],
    "interp": ["interpretability", '"sparse autoencoder"', "circuits", "probing"],
    "robotics": ["robot*", "manipulation", "cat:cs.RO", "embodied"],
    "efficiency": ["quantization", "distillation", "pruning", '"KV cache"'],
}


def readers(count: int, *, seed: int = 2, limit: int = 20) -> list[Reader]:
    """Readers with 1-5 lines drawn Zipf-like from the catalogue, some following an author
    or two, some with topics, a few with no filters at all."""
    rng = random.Random(seed)
    catalogue = line_catalogue(seed=seed)
    cumulative = list(itertools.accumulate(zipf_weights(len(catalogue))))
    topic_names = list(TOPICS)
    result = []
    for key in range(1, count + 1):
        roll = rng.random()
        if roll < 0.05:  # no filters: the day's top papers
            lines, topics = (), ()
        else:
            drawn = rng.choices(catalogue, cum_weights=cumulative, k=rng.randint(1, 5))
            if rng.random() < FOLLOWED:
                drawn += [author_line(f"{rng.choice(FIRST)} {rng.choice(LAST)}")
                          for _ in range(rng.randint(1, 2))]
            lines = tuple(dict.fromkeys(drawn))
            topics = tuple(rng.sample(topic_names, rng.randint(1, 2))) if roll < 0.35 else ()
        result.append(Reader(key=key, lines=lines, topics=topics, limit=limit,
                             min_upvotes=rng.choice((0, 0, 0, 0, 1, 5))))
    return result


def line_mix(population: list[Reader]) -> str:
    """What a benchmark prints beside its figures: the distinct lines (by meaning), how many
    of each kind, and the share of the readers' lines that hold a phrase."""
    written: dict[str, int] = {}
    for reader in population:
        for line in reader.lines:
            written[line] = written.get(line, 0) + 1
    distinct = {parse_line(line).key: line for line in written}
    kinds: dict[str, int] = {}
    for line in distinct.values():
        kinds[line_kind(line)] = kinds.get(line_kind(line), 0) + 1
    phrases = sum(count for line, count in written.items() if line_kind(line) == "phrase")
    return (f"{len(distinct):,} distinct lines: "
            + ", ".join(f"{kind} {count:,}" for kind, count in
                        sorted(kinds.items(), key=lambda item: -item[1]))
            + f"; {phrases / max(1, sum(written.values())):.0%} of readers' lines hold a phrase")
