"""A setting that doesn't parse, in ONE line: the variable as the user set it (the
environment variable, or the key in hotpapers.toml), the wrong value (never a secret's,
never a whole JSON object) and what is accepted (`hints`, else by type):
"HOTPAPERS_POST_TIME=25:00: not a time of day; use HH:MM, for example 09:00".

Used by `bot.settings.get_settings` with its fields and hints."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import AliasChoices, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import SettingsError

Fields = Mapping[str, FieldInfo]
Hints = Mapping[str, str]

TYPE_HINTS: dict[object, str] = {
    int: "not a whole number of at least 0; for example 50",
    float: "not a number of at least 0; for example 3",
    bool: "not true or false; use true or false",
}
SHOWN_VALUE = 60  # characters of a wrong value shown


def _field_of(loc: object, fields: Fields) -> str | None:
    """The field a pydantic error location (a field name or an alias) points at."""
    if loc in fields:
        return str(loc)
    for name, info in fields.items():
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        if loc in choices:
            return name
    return None


def _where(field: str, fields: Fields) -> tuple[str, str | None]:
    """The setting's name as the user set it, and the raw value when it came from the
    environment: `HOTPAPERS_POST_TIME` (environment), `post_time in hotpapers.toml`."""
    info = fields[field]
    alias = info.validation_alias
    names = [str(c) for c in alias.choices] if isinstance(alias, AliasChoices) else []
    names = names or [f"HOTPAPERS_{field.upper()}"]
    env = {k.upper(): v for k, v in os.environ.items()}
    for name in names:
        if name.upper() in env:
            return name, env[name.upper()]
    if Path("hotpapers.toml").is_file():
        return f"{field} in hotpapers.toml", None
    return names[0], None


def _is_secret(field: str, fields: Fields) -> bool:
    text = str(fields[field].annotation)
    return "SecretStr" in text


def _hint(field: str, fallback: str, fields: Fields, hints: Hints) -> str:
    if field in hints:
        return hints[field]
    annotation = fields[field].annotation
    return TYPE_HINTS.get(annotation, fallback)


def _line(field: str, value: object, fallback: str, fields: Fields, hints: Hints) -> str:
    name, raw = _where(field, fields)
    shown = raw if raw is not None else value
    hint = _hint(field, fallback, fields, hints)
    if _is_secret(field, fields) or shown is None or isinstance(shown, dict | list | tuple):
        return f"{name}: {hint}"
    text = str(shown)
    if len(text) > SHOWN_VALUE:
        text = text[:SHOWN_VALUE] + "…"
    if name.endswith(" in hotpapers.toml"):
        return f"{field}={text} in hotpapers.toml: {hint}"
    return f"{name}={text}: {hint}"


def describe_validation_error(exc: ValidationError, fields: Fields, hints: Hints) -> str:
    """The first wrong setting of `exc` in one line (+ how many more there are)."""
    errors = exc.errors()
    lines = []
    for error in errors:
        field = _field_of(error["loc"][0], fields) if error["loc"] else None
        if field is None:
            lines.append(error["msg"].removeprefix("Value error, "))  # a rule over several
        else:
            lines.append(_line(field, error.get("input"), error["msg"].lower(), fields, hints))
    lines = list(dict.fromkeys(lines))
    more = f" (and {len(lines) - 1} more wrong settings)" if len(lines) > 1 else ""
    return lines[0] + more


def describe_settings_error(exc: SettingsError, fields: Fields, hints: Hints) -> str:
    """pydantic-settings' "error parsing value for field X" (a JSON setting that isn't
    JSON) in one line."""
    m = re.search(r'field "([^"]+)"', str(exc))
    field = _field_of(m[1], fields) if m else None
    if field is None:
        return f"a setting could not be read ({str(exc).splitlines()[0]})"
    return _line(field, None, "not valid JSON", fields, hints)
