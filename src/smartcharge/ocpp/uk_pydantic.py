"""The UK-extension messages as pydantic models, built from their declarations (uk_check.py)
the first time a message is not plain: pydantic converts what it may (a number in a string)
and names the first problem. Loaded on that first use only."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from smartcharge.ocpp.uk_check import (
    Choice,
    Flag,
    Message,
    Num,
    Records,
    Spec,
    Text,
    UkExtensionError,
    specs,
)

M = TypeVar("M", bound=Message)


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("needs a UTC offset")
    return at


def _annotation(spec: Spec) -> Any:
    if isinstance(spec, Num):
        finite = False if spec.finite else None
        return Annotated[spec.kind, Field(ge=spec.ge, le=spec.le, gt=spec.gt, allow_inf_nan=finite)]
    if isinstance(spec, Text):
        limits = Field(min_length=spec.min_length, max_length=spec.max_length, pattern=spec.pattern)
        return Annotated[str, limits]
    if isinstance(spec, Choice):
        return Literal[spec.values]
    if isinstance(spec, Flag):
        return bool
    if isinstance(spec, Records):
        return Annotated[list[dict[str, Any]], Field(max_length=spec.max_length)]
    return Annotated[datetime, AfterValidator(_aware)]


_models: dict[type[Message], type[BaseModel]] = {}


def model_for(message: type[Message]) -> type[BaseModel]:
    if message not in _models:
        fields: dict[str, Any] = {}
        for field, spec, nullable in specs(message):
            annotation = _annotation(spec)
            if nullable:
                annotation = annotation | None
            default = ... if field.default is dataclasses.MISSING else field.default
            fields[field.name] = (annotation, default)
        _models[message] = create_model(message.__name__, __base__=_Base, **fields)
    return _models[message]


def validate(message: type[M], raw: dict[str, Any]) -> M:
    try:
        model = model_for(message).model_validate(raw, strict=False)
    except ValidationError as exc:
        raise UkExtensionError(first_error(exc)) from None
    return message(**{name: getattr(model, name) for name in type(model).model_fields})


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "data"
    return f"{where}: {err['msg']}"
