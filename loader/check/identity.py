"""What tells elements apart and says when one changed: the content hash of an element,
the identity key of a relationship and its 64-bit digest (the same in every process)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any


def content_hash(kind: str, props: dict[str, Any]) -> str:
    """A short, stable hash of an element's type and properties (sources and status too).

    The text hashed is the JSON of ``[kind, props]`` with sorted keys, a date written as
    ``{"date": "YYYY-MM-DD"}``."""
    data = _hash_json([kind, props]).encode()
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def titled_hash(digest: str, titles: str) -> str:
    """An element's ``content_hash`` once its sources' titles (``titles``: joined by
    U+001F) are written beside it: a change of a title changes it, so the element is
    written again."""
    return hashlib.blake2b(f"{digest}\x1f{titles}".encode(), digest_size=12).hexdigest()


def _date_json(value: Any) -> dict[str, str]:
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    raise TypeError(f"not a property value: {value!r}")


# json.dumps(value, sort_keys=True, default=_date_json, ensure_ascii=False,
# separators=(",", ":")) builds an encoder per call, and even a reused JSONEncoder's
# .encode() builds the C encoder underneath, and a dict to detect cycles, on every call.
# That C encoder (the same arguments, without the cycle check: the values are fresh lists
# and dicts of scalars) is made once here. Tests check the text against json.dumps.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_make_encoder is not None:  # CPython's _json accelerator
    _encode_chunks = _c_make_encoder(
        None, _date_json, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )

    def _hash_json_fast(value: Any) -> str:
        return "".join(_encode_chunks(value, 0))

    _hash_json: Callable[[Any], str] = _hash_json_fast
else:  # pragma: no cover - a Python without the accelerator
    _hash_json = json.JSONEncoder(
        sort_keys=True, default=_date_json, ensure_ascii=False, separators=(",", ":")
    ).encode


def identity_digest(rtype: str, start: str, end: str, key: str) -> bytes:
    """8 bytes that tell relationships of one type between two nodes apart (the same in
    every process, unlike ``hash``)."""
    text = f"{rtype}\0{start}\0{end}\0{key}".encode()
    return hashlib.blake2b(text, digest_size=8).digest()


def identity_key(values: list[Any]) -> str:
    """The stable qualifier that tells relationships of one type between two nodes apart."""
    if all(v is None for v in values):
        return ""
    return json.dumps(values, default=str, ensure_ascii=False, separators=(",", ":"))
