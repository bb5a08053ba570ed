"""The charger's TOML tables as frozen dataclasses, checked by a small validator of our own.

The charger reads its file once at start; a general validation library would stay resident for
the life of the process (pydantic: about 8 MB, issue 12: a charger under 45 MB). The tables are
declared as before: annotated fields (`Annotated[int, AfterValidator(int_range(1, 8))]`),
defaults, `@model_validator(mode="after")` checks across keys; the names are the few pydantic
ones the declarations used, with the same meaning. What is checked, and how (strict types: an
integer is never a bool, a number is an integer or a float, no unknown keys, every problem found
in one pass, each at its TOML path), is what `config.py`'s messages are written for.

`Table.model_validate(data, context=...)` returns the table or raises `ValidationError`, whose
`errors()` lists each problem as {"loc", "type", "msg", "ctx"}.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

_MISSING = object()


class AfterValidator:
    """Checks (and may replace) a value once its type is right; raises ValueError."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.with_info = len(inspect.signature(func).parameters) == 2


class BeforeValidator(AfterValidator):
    """Checks (and may replace) the raw value before its type is checked."""


@dataclasses.dataclass(frozen=True)
class Field:
    """`strict=False`: the declaration's note that its before-check converts the value."""

    strict: bool = True
    min_length: int | None = None
    max_length: int | None = None


@dataclasses.dataclass(frozen=True)
class ValidationInfo:
    context: Any


class SecretStr:
    """A string never shown by repr() or str() (R32)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def model_validator(*, mode: Literal["before", "after"]) -> Callable[[Any], Any]:
    """Marks a check of the whole table: "before" gets the raw mapping (a classmethod) and
    returns it, "after" gets the built table and returns it."""

    def mark(func: Any) -> Any:
        target: Any = func.__func__ if isinstance(func, classmethod) else func
        target.__table_check__ = mode
        return func

    return mark


class ValidationError(ValueError):
    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self._problems = problems

    def errors(self, **_: Any) -> list[dict[str, Any]]:
        return list(self._problems)


class _Problems(Exception):
    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems


def _problem(loc: tuple[Any, ...], kind: str, msg: str, error: Exception | None = None):  # type: ignore[no-untyped-def]
    return {"loc": loc, "type": kind, "msg": msg, "ctx": {} if error is None else {"error": error}}


@dataclasses.dataclass(frozen=True)
class _Spec:
    """How one field's value is checked, read from its annotation."""

    base: Any
    nullable: bool = False
    before: tuple[AfterValidator, ...] = ()
    after: tuple[AfterValidator, ...] = ()
    min_length: int | None = None
    max_length: int | None = None


def _spec(annotation: Any) -> _Spec:
    nullable = False
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable, annotation = True, members[0]
    before: list[AfterValidator] = []
    after: list[AfterValidator] = []
    lengths: dict[str, int | None] = {"min_length": None, "max_length": None}
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *extras = typing.get_args(annotation)
        for extra in extras:
            if isinstance(extra, BeforeValidator):
                before.append(extra)
            elif isinstance(extra, AfterValidator):
                after.append(extra)
            elif isinstance(extra, Field):
                lengths = {"min_length": extra.min_length, "max_length": extra.max_length}
    return _Spec(annotation, nullable, tuple(before[::-1]), tuple(after), **lengths)


_TYPE_ERRORS: dict[Any, tuple[str, str]] = {
    int: ("int_type", "Input should be a valid integer"),
    float: ("float_type", "Input should be a valid number"),
    str: ("string_type", "Input should be a valid string"),
    SecretStr: ("string_type", "Input should be a valid string"),
    bool: ("bool_type", "Input should be a valid boolean"),
    Path: ("path_type", "Input is not a valid path"),
    date: ("date_type", "Input should be a valid date"),
    datetime: ("datetime_type", "Input should be a valid datetime"),
}


def _typed(base: Any, value: Any) -> Any:
    """The value as `base`, or _MISSING when it is not one (strict: no conversions but these)."""
    if base is int:
        return value if type(value) is int else _MISSING
    if base is float:
        return float(value) if type(value) in (int, float) else _MISSING
    if base is bool or base is str:
        return value if isinstance(value, base) else _MISSING
    if base is SecretStr:
        return SecretStr(value) if isinstance(value, str) else _MISSING
    if base is Path:
        return Path(value) if isinstance(value, str | Path) else _MISSING
    if base is datetime:
        return value if isinstance(value, datetime) else _MISSING
    if base is date:
        return value if isinstance(value, date) and not isinstance(value, datetime) else _MISSING
    raise TypeError(f"no check for {base!r}")


def _choice(choices: tuple[Any, ...], value: Any) -> Any:
    for choice in choices:
        if isinstance(choice, str):
            if isinstance(value, str) and value == choice:
                return choice
        elif type(value) in (int, float, bool) and value == choice:  # as pydantic: True is 1
            return choice
    return _MISSING


def _choices_text(choices: tuple[Any, ...]) -> str:
    shown = [repr(c) for c in choices]
    return ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]


def _check(spec: _Spec, value: Any, loc: tuple[Any, ...], context: Any) -> Any:
    """The checked value of one field, or _Problems."""
    if value is None and spec.nullable:
        return None
    info = ValidationInfo(context)
    try:
        for check in spec.before:
            value = check.func(value, info) if check.with_info else check.func(value)
    except ValueError as exc:
        raise _Problems([_problem(loc, "value_error", f"Value error, {exc}", exc)]) from None
    base = spec.base
    if typing.get_origin(base) is Literal:
        choices = typing.get_args(base)
        value = _choice(choices, value)
        if value is _MISSING:
            text = f"Input should be {_choices_text(choices)}"
            raise _Problems([_problem(loc, "literal_error", text)])
    elif typing.get_origin(base) is list:
        value = _list(spec, value, loc, context)
    elif isinstance(base, type) and issubclass(base, Table):
        if not isinstance(value, base):
            value = base._from(value, loc, context)
    else:
        typed = _typed(base, value)
        if typed is _MISSING:
            raise _Problems([_problem(loc, *_TYPE_ERRORS[base])])
        value = typed
    try:
        for check in spec.after:
            value = check.func(value, info) if check.with_info else check.func(value)
    except ValueError as exc:
        raise _Problems([_problem(loc, "value_error", f"Value error, {exc}", exc)]) from None
    return value


def _list(spec: _Spec, value: Any, loc: tuple[Any, ...], context: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Problems([_problem(loc, "list_type", "Input should be a valid list")])
    item = _spec(typing.get_args(spec.base)[0])
    items: list[Any] = []
    problems: list[dict[str, Any]] = []
    for index, raw in enumerate(value):
        try:
            items.append(_check(item, raw, (*loc, index), context))
        except _Problems as exc:
            problems += exc.problems
    if problems:
        raise _Problems(problems)
    count = len(items)
    if spec.min_length is not None and count < spec.min_length:
        plural = "item" if spec.min_length == 1 else "items"
        text = f"List should have at least {spec.min_length} {plural} after validation, not {count}"
        raise _Problems([_problem(loc, "too_short", text)])
    if spec.max_length is not None and count > spec.max_length:
        plural = "item" if spec.max_length == 1 else "items"
        text = f"List should have at most {spec.max_length} {plural} after validation, not {count}"
        raise _Problems([_problem(loc, "too_long", text)])
    return items


@typing.dataclass_transform(kw_only_default=True, frozen_default=True)
class Table:
    """A frozen dataclass of keys; subclasses are made dataclasses (keyword-only) when defined."""

    __specs__: ClassVar[dict[str, _Spec] | None]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in inspect.get_annotations(cls):
            default = cls.__dict__.get(name, _MISSING)
            if isinstance(default, list):  # each table gets its own copy
                setattr(cls, name, dataclasses.field(default_factory=default.copy))
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)
        cls.__specs__ = None  # read from the annotations on first use (they may refer ahead)

    @classmethod
    def _specs(cls) -> dict[str, _Spec]:
        if cls.__specs__ is None:
            hints = typing.get_type_hints(cls, include_extras=True)
            names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
            cls.__specs__ = {name: _spec(hints[name]) for name in names}
        return cls.__specs__

    @classmethod
    def keys(cls) -> dict[str, Any]:
        """Each key's name and its type (a Table for a sub-table), in declaration order."""
        return {name: spec.base for name, spec in cls._specs().items()}

    @classmethod
    def _table_checks(cls, mode: str) -> list[Any]:
        found: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                target = attr.__func__ if isinstance(attr, classmethod) else attr
                if getattr(target, "__table_check__", None) == mode:
                    found[name] = getattr(cls, name)
        return list(found.values())

    @classmethod
    def model_validate(cls, data: Any, *, context: Any = None) -> Self:
        try:
            return cls._from(data, (), context)
        except _Problems as exc:
            raise ValidationError(exc.problems) from None

    @classmethod
    def _from(cls, data: Any, loc: tuple[Any, ...], context: Any) -> Self:
        try:
            for check in cls._table_checks("before"):
                data = check(data)
        except ValueError as exc:
            raise _Problems([_problem(loc, "value_error", f"Value error, {exc}", exc)]) from None
        if not isinstance(data, Mapping):
            raise _Problems([_problem(loc, "model_type", "Input should be a valid dictionary")])
        values: dict[str, Any] = {}
        problems: list[dict[str, Any]] = []
        for name, spec in cls._specs().items():
            if name not in data:
                if not _has_default(cls, name):
                    problems.append(_problem((*loc, name), "missing", "Field required"))
                continue
            try:
                values[name] = _check(spec, data[name], (*loc, name), context)
            except _Problems as exc:
                problems += exc.problems
        specs = cls._specs()
        for key in data:
            if key not in specs:
                text = "Extra inputs are not permitted"
                problems.append(_problem((*loc, key), "extra_forbidden", text))
        if problems:
            raise _Problems(problems)
        table = cls(**values)
        try:
            for check in cls._table_checks("after"):
                table = check(table)
        except ValueError as exc:
            raise _Problems([_problem(loc, "value_error", f"Value error, {exc}", exc)]) from None
        return table

    def model_dump(self) -> dict[str, Any]:
        """The keys and their values, tables as dicts (a password stays a SecretStr)."""
        return {
            f.name: (v.model_dump() if isinstance(v := getattr(self, f.name), Table) else v)
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        }


def _has_default(cls: type, name: str) -> bool:
    field = cls.__dataclass_fields__[name]  # type: ignore[attr-defined]
    return bool(
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )
