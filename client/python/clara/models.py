"""DatasetSearchQuery, DatasetDocument and the training-line format.

The training line is built by the server (extension/core/jsonl.cpp) and
shipped unchanged by the CLI, the HTTP API and stream_to_jsonl. This module
writes the same bytes for a DatasetDocument, so documents filtered or edited
in Python can be exported in the identical format: key order text, metadata,
source, quality_score, document_id, relevance_score; no spaces; UTF-8 as is;
the escapes of json.dumps(ensure_ascii=False); doubles as repr() writes them
(always with a '.' or an exponent), non-finite doubles as null.
"""

from __future__ import annotations

import decimal
import json
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

_dumps_string = json.JSONEncoder(ensure_ascii=False).encode


class ExactNumber(float):
    """A JSON number from the server's metadata that remembers how it was written.

    jsonb keeps numbers as numeric, so "1.50" stays "1.50" on the server; a
    float would write it back as 1.5. ExactNumber is a float for every
    purpose (arithmetic gives plain floats) and carries the server's text, so
    a document's training line is byte-identical to the server's.
    """

    __slots__ = ("text",)

    def __new__(cls, text: str) -> "ExactNumber":
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __getnewargs__(self):
        return (self.text,)


def _double(value: Any) -> str:
    """A score as the server writes a double: repr(), null when not finite."""
    if value is None:
        return "null"
    number = float(value)
    return repr(number) if math.isfinite(number) else "null"


def _json_value(value: Any) -> str:
    """Metadata values: compact JSON, numbers as the server wrote them."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _dumps_string(value)
    if isinstance(value, ExactNumber):
        return value.text
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"metadata number {value!r} has no JSON form")
        return float.__repr__(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError(f"metadata number {value!r} has no JSON form")
        return format(value, "f")  # positional, like PostgreSQL's numeric output
    if isinstance(value, Mapping):
        return "{" + ",".join(_json_key(k) + ":" + _json_value(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json_value(v) for v in value) + "]"
    raise TypeError(f"metadata value of type {type(value).__name__} is not JSON")


def _json_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"metadata keys must be strings, not {type(key).__name__}")
    return _dumps_string(key)


def training_line(
    text: str,
    metadata: Optional[Mapping[str, Any]],
    source: Optional[str],
    quality_score: Any,
    document_id: str,
    relevance_score: Any,
) -> str:
    """One training line, without the newline: the server's bytes for the same values."""
    return (
        '{"text":' + _dumps_string(text)
        + ',"metadata":' + _json_value(metadata if metadata is not None else {})
        + ',"source":' + ("null" if source is None else _dumps_string(source))
        + ',"quality_score":' + _double(quality_score)
        + ',"document_id":' + _dumps_string(document_id)
        + ',"relevance_score":' + _double(relevance_score)
        + "}"
    )


@dataclass
class DatasetSearchQuery:
    """What to retrieve (the seed's DatasetSearchQuery).

    search_types and weights default to the server's (all available search
    types; see the extension's README). filters: domain, document_type,
    source (a string or a list), created_after, created_before, metadata (an
    object the document's metadata must contain); the server rejects
    unknown keys.
    """

    query_text: str
    top_k: int = 100
    filters: Optional[Dict[str, Any]] = None
    min_quality_score: float = 0.5
    search_types: Optional[Sequence[str]] = None
    weights: Optional[Dict[str, float]] = None

    def __post_init__(self) -> None:
        if not isinstance(self.query_text, str) or not self.query_text.strip():
            raise ValueError("query_text must be a non-empty string")
        if "\x00" in self.query_text:
            raise ValueError("query_text must not contain NUL characters")
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or not 1 <= self.top_k <= 2**31 - 1:
            raise ValueError(f"top_k must be an integer between 1 and 2147483647, not {self.top_k!r}")
        if isinstance(self.min_quality_score, bool) or not isinstance(self.min_quality_score, (int, float)) \
                or not 0.0 <= self.min_quality_score <= 1.0:
            raise ValueError(f"min_quality_score must be a number between 0 and 1, not {self.min_quality_score!r}")
        if self.filters is not None and not isinstance(self.filters, Mapping):
            raise ValueError("filters must be a dict (or None)")
        if self.search_types is not None:
            if isinstance(self.search_types, str) or not all(isinstance(t, str) and t for t in self.search_types):
                raise ValueError("search_types must be a list of names, e.g. ['keyword']")
            self.search_types = list(self.search_types)
        if self.weights is not None and not isinstance(self.weights, Mapping):
            raise ValueError("weights must be a dict (or None)")


@dataclass
class DatasetDocument:
    """One retrieved document (the seed's DatasetDocument).

    score is the relevance score (0..1, the best document of the result is
    1.0); rank its position in the result, from 1.
    """

    document_id: str
    content: str
    metadata: Dict[str, Any] = field(default_factory=dict)
    score: float = 0.0
    quality_score: float = 0.0
    source: Optional[str] = None
    rank: Optional[int] = None

    @property
    def relevance_score(self) -> float:
        return self.score

    def to_training_format(self) -> str:
        """The training line (without newline), byte-identical to clara_stream_jsonl's for this document."""
        return training_line(self.content, self.metadata, self.source, self.quality_score, self.document_id,
                             self.score)

    def to_training_dict(self) -> Dict[str, Any]:
        """The training line as a dict, keys in the line's order."""
        return {
            "text": self.content,
            "metadata": self.metadata,
            "source": self.source,
            "quality_score": self.quality_score,
            "document_id": self.document_id,
            "relevance_score": self.score,
        }


def estimate_tokens(text: str) -> int:
    """The server's token estimate without a tokenizer (clara_stats
    token_count "estimate"): ceil(UTF-8 bytes / 3.7), docs/training.md#token-estimate."""
    return (len(text.encode("utf-8")) * 10 + 36) // 37


def statistics(documents) -> Dict[str, Any]:
    """The seed's get_statistics over documents, in one pass (any iterable):
    total_tokens is the server's estimate (token_count "estimate"),
    total_words the whitespace-separated words."""
    total = 0
    quality = relevance = 0.0
    tokens = words = 0
    domains: Dict[str, int] = {}
    document_types: Dict[str, int] = {}
    for doc in documents:
        total += 1
        quality += float(doc.quality_score)
        relevance += float(doc.score)
        tokens += estimate_tokens(doc.content)
        words += len(doc.content.split())
        meta = doc.metadata or {}
        domain = meta.get("domain") or ""
        doc_type = meta.get("document_type") or ""
        domains[domain] = domains.get(domain, 0) + 1
        document_types[doc_type] = document_types.get(doc_type, 0) + 1
    return {
        "total_documents": total,
        "avg_quality_score": quality / total if total else 0.0,
        "avg_relevance_score": relevance / total if total else 0.0,
        "total_tokens": tokens,
        "token_count": "estimate",
        "total_words": words,
        "domains": domains,
        "document_types": document_types,
    }


__all__: List[str] = ["DatasetDocument", "DatasetSearchQuery", "ExactNumber", "estimate_tokens", "statistics",
                       "training_line"]


_DEDUP_MODES = ("exact", "near", "none")


@dataclass(frozen=True)
class TrainingOptions:
    """How stream_to_jsonl shapes the training file (docs/training.md); the
    same arguments as clara_stream_jsonl's and clara-stream's flags.

    tokenizer: a name registered with clara_register_tokenizer; chunk_tokens /
    chunk_overlap: cut documents into chunks of that many of its tokens;
    format: raw, text, messages, prompt-completion or alpaca, with
    prompt_template / text_template; split: "validation=0.02,test=0.01"
    with split_seed; token_budget: stop before the line that would exceed it;
    dedup: "exact" or "near" sends each cluster of duplicates once, as its
    best-ranked copy, with metadata.dup_cluster_size ("none" or None: all);
    record: file the export's documents in the ledger under that name;
    exclude: names of recorded exports ("NAME" or "NAME:split") to keep out;
    exclude_held_out: keep earlier validation/test documents out of train
    (docs/training.md#export-ledger).
    decontaminate: names of registered evaluation sets whose word 13-grams
    keep documents out (decontaminate_mode "drop"), or, with "report", are
    counted in metadata.eval_overlap on every line.
    The server checks the values (SQLSTATE 22023 with a hint).
    """

    tokenizer: Optional[str] = None
    chunk_tokens: Optional[int] = None
    chunk_overlap: int = 0
    format: str = "raw"
    prompt_template: Optional[str] = None
    text_template: Optional[str] = None
    split: Optional[str] = None
    split_seed: int = 0
    token_budget: Optional[int] = None
    dedup: Optional[str] = None
    record: Optional[str] = None
    exclude: Tuple[str, ...] = ()
    exclude_held_out: bool = True
    decontaminate: Tuple[str, ...] = ()
    decontaminate_mode: str = "drop"

    def __post_init__(self) -> None:
        if isinstance(self.exclude, str) or not all(isinstance(e, str) and e and "\x00" not in e
                                                    for e in self.exclude):
            raise ValueError("exclude must be a sequence of export names (\"NAME\" or \"NAME:split\")")
        object.__setattr__(self, "exclude", tuple(self.exclude))
        if self.record is not None and (not isinstance(self.record, str) or not self.record or "\x00" in self.record):
            raise ValueError("record must be a non-empty name without NUL characters (or None)")
        if not isinstance(self.exclude_held_out, bool):
            raise ValueError("exclude_held_out must be a boolean")
        if isinstance(self.decontaminate, str) or not all(
                isinstance(n, str) and n and "\x00" not in n for n in self.decontaminate):
            raise ValueError("decontaminate must be a sequence of evaluation set names")
        object.__setattr__(self, "decontaminate", tuple(self.decontaminate))
        if self.decontaminate_mode not in ("drop", "report"):
            raise ValueError(f"decontaminate_mode must be drop or report, not {self.decontaminate_mode!r}")
        if self.dedup is not None and self.dedup not in _DEDUP_MODES:
            raise ValueError(f"dedup must be one of {', '.join(_DEDUP_MODES)} (or None), not {self.dedup!r}")
        for name in ("tokenizer", "prompt_template", "text_template", "split"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or "\x00" in value):
                raise ValueError(f"{name} must be a string without NUL characters (or None)")
        if not isinstance(self.format, str):
            raise ValueError("format must be a string")
        for name in ("chunk_tokens", "token_budget"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{name} must be an integer (or None)")
        for name in ("chunk_overlap", "split_seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer")

