"""A realistic synthetic population for benchmarks: ML papers and readers' interest lines.

Papers are sentences drawn from an ML vocabulary (terms Zipf-weighted, so "model" and
"learning" are everywhere and "speculative decoding" is rare). Readers pick 1-5 lines drawn
Zipf-like from a catalogue of terms, phrases, prefixes, field terms and exclusions, some
with topics, a few with no filters at all. Seeded: the same arguments give the same data.
"""

import random
from datetime import date, timedelta

from digest.match.index import PaperDoc
from digest.match.readers import Reader

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


def line_catalogue(*, seed: int = 1) -> list[str]:
    """About 600 distinct lines, most popular first."""
    rng = random.Random(seed)
    broad = ["learning", "model", "neural network", "data", "training", "LLMs"]
    lines = broad + [f'"{p}"' for p in PHRASES] + TERMS
    lines += [f"title:{t}" for t in TERMS[:60]] + [f"{t[:5]}*" for t in TERMS[:40]]
    lines += [f"cat:{c}" for c in CATEGORIES]
    lines += [f"author:{last}" for last in LAST]
    lines += [f"{rng.choice(TERMS)} {rng.choice(TERMS)}" for _ in range(150)]
    lines += [f'{rng.choice(TERMS)} -{rng.choice(TERMS)}' for _ in range(60)]
    lines += [f'"{rng.choice(PHRASES)}" -"{rng.choice(PHRASES)}"' for _ in range(40)]
    return list(dict.fromkeys(lines))


TOPICS = {
    "llm": ['"language model"', "LLMs", "title:transformer", '"instruction tuning"'],
    "vision": ["segmentation", '"object detection"', "cat:cs.CV", '"video generation"'],
    "rl": ['"reinforcement learning"', "RLHF", '"policy optimization"', "GRPO"],
    "interp": ["interpretability", '"sparse autoencoder"', "circuits", "probing"],
    "robotics": ["robot*", "manipulation", "cat:cs.RO", "embodied"],
    "efficiency": ["quantization", "distillation", "pruning", '"KV cache"'],
}


def readers(count: int, *, seed: int = 2, limit: int = 20) -> list[Reader]:
    rng = random.Random(seed)
    catalogue = line_catalogue(seed=seed)
    weights = zipf_weights(len(catalogue))
    topic_names = list(TOPICS)
    result = []
    for key in range(1, count + 1):
        roll = rng.random()
        if roll < 0.05:  # no filters: the day's top papers
            lines, topics = (), ()
        else:
            lines = tuple(dict.fromkeys(rng.choices(catalogue, weights, k=rng.randint(1, 5))))
            topics = tuple(rng.sample(topic_names, rng.randint(1, 2))) if roll < 0.35 else ()
        result.append(Reader(key=key, lines=lines, topics=topics, limit=limit,
                             min_upvotes=rng.choice((0, 0, 0, 0, 1, 5))))
    return result
