"""A route's parameters, declared once (issue 31): the same declaration reads
and checks them (through ginchat/utils/params.py, so a bad value is the same
clear 400 as everywhere) and writes them into the route's Swagger YAML, which
flasgger reads from the docstring.

    @spec.params(spec.Id("rootId", required=True), spec.Int("limit", default=50, minimum=1, maximum=200))
    def thread(root_id, limit):
        \"\"\"A thread ...
        ---
        tags: [thread]
        responses: ...
        \"\"\"

Each parameter reaches the view as a keyword argument named in snake_case
(rootId: root_id), or as ``arg`` says. The YAML gets a ``parameters`` list
before ``responses`` (after the docstring's own parameters, if it has some),
``in: query`` for GET routes (``where="query"``), ``formData`` otherwise."""

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ginchat.utils import params as request_params


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # the Swagger type: integer, string, boolean
    required: bool = False
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    max_len: int | None = None
    strip: bool = True
    description: str = ""
    arg: str | None = None
    enum: tuple[Any, ...] | None = None

    @property
    def keyword(self) -> str:
        return self.arg or snake(self.name)

    def read(self) -> Any:
        """The request's value, checked: params.get_int, get_str or get_bool."""
        if self.kind == "integer":
            return request_params.get_int(self.name, self.required, self.default, self.minimum, self.maximum)
        if self.kind == "boolean":
            return request_params.get_bool(self.name, bool(self.default))
        value = request_params.get_str(self.name, self.required, self.default, self.max_len, self.strip)
        return value

    def swagger(self, where: str) -> dict[str, Any]:
        found: dict[str, Any] = {"name": self.name, "in": where, "type": self.kind}
        if self.required:
            found["required"] = True
        if self.enum is not None:
            found["enum"] = list(self.enum)
        for key, value in (("minimum", self.minimum), ("maximum", self.maximum), ("maxLength", self.max_len)):
            if value is not None:
                found[key] = value
        if self.default is not None:
            found["default"] = self.default
        if self.description:
            found["description"] = self.description
        return found


def Int(  # noqa: N802  (a declaration reads as a type: Int("limit", ...))
    name: str,
    *,
    required: bool = False,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    description: str = "",
    arg: str | None = None,
    enum: tuple[int, ...] | None = None,
) -> Param:
    return Param(name, "integer", required, default, minimum, maximum, None, True, description, arg, enum)


def Str(  # noqa: N802
    name: str,
    *,
    required: bool = False,
    default: str | None = None,
    max_len: int | None = 255,
    strip: bool = True,
    description: str = "",
    arg: str | None = None,
) -> Param:
    return Param(name, "string", required, default, None, None, max_len, strip, description, arg)


def Bool(name: str, *, default: bool = False, description: str = "", arg: str | None = None) -> Param:  # noqa: N802
    return Param(name, "boolean", False, default, description=description, arg=arg)


def with_parameters(doc: str | None, items: list[dict[str, Any]]) -> str:
    """``doc`` with ``items`` in its YAML's parameters list (made when absent),
    each as a one-line flow mapping (JSON is YAML)."""
    lines = (doc or "").split("\n")
    at = next((n for n, line in enumerate(lines) if line.strip() == "responses:"), None)
    if at is None:
        raise ValueError("a route declared with spec.params needs a Swagger docstring with responses:")
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    new = [f"{indent}  - {json.dumps(item, ensure_ascii=False)}" for item in items]
    if not any(line.strip() == "parameters:" for line in lines[:at]):
        new.insert(0, f"{indent}parameters:")
    return "\n".join(lines[:at] + new + lines[at:])


def params(*declared: Param, where: str = "formData") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Read ``declared`` from the request into the view's keyword arguments,
    and document them in its Swagger YAML."""

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handler(*args: Any, **kwargs: Any) -> Any:
            for item in declared:
                kwargs[item.keyword] = item.read()
            return view(*args, **kwargs)

        handler.__doc__ = with_parameters(view.__doc__, [item.swagger(where) for item in declared])
        return handler

    return wrap
