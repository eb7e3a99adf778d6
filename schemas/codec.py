"""The one place where messages become bytes and back (orjson)."""

from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class DecodeError(ValueError):
    """The bytes are not a valid message of the expected model."""


def encode(model: BaseModel) -> bytes:
    return orjson.dumps(model.model_dump(mode="json", by_alias=True))


def decode(data: bytes, model: type[M]) -> M:
    try:
        return model.model_validate(orjson.loads(data))
    except (orjson.JSONDecodeError, ValueError) as exc:
        raise DecodeError(f"not a valid {model.__name__}: {exc}") from exc
