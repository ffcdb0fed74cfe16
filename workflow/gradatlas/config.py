"""The experiment config: YAML loading, schema defaults and one-line schema errors.

The JSON Schema in ``workflow/schemas/config.schema.yaml`` is the *only* place
where a config value has a default. :func:`validate` fills those defaults in and
reports a violation as one line naming the key, the value and the rule it broke.
Checks that need the registries (unknown slugs, ...) live in
:func:`gradatlas.grid.check_config`.

This module imports neither jax nor the registries, so the Snakefile, the
command-line help and ``check-config`` stay fast.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A config that cannot run; the message names the key and what is wrong."""


def load_yaml(path: str | Path) -> dict:
    """Read a YAML config; a syntax error names the file, the line and the column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(f"{path}: YAML syntax error at {where}: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: YAML error: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a mapping of keys to values, got {type(data).__name__}")
    return data


@functools.cache
def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def _fill_defaults(instance: dict, node: dict) -> None:
    for key, sub in node.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if isinstance(instance.get(key), dict) and sub.get("type") == "object":
            _fill_defaults(instance[key], sub)


def _key(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _rule(error) -> str:
    value = error.validator_value
    if error.validator in ("properties", "additionalProperties", "items", "oneOf", "anyOf", "type"):
        shown = value if error.validator == "type" else None
    else:
        shown = value
    return f"{error.validator}: {shown}" if shown is not None else str(error.validator)


def _message(error) -> str:
    # additionalProperties errors sit on the parent object: name the offending key itself
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"config key {_key([*error.absolute_path, extra[0]])!r}: unknown key (allowed here: {allowed})"
    if error.validator == "required":  # one error per missing key, all on the parent object
        missing = [k for k in error.validator_value if k not in error.instance]
        return f"config key(s) {', '.join(repr(_key([*error.absolute_path, k])) for k in missing)}: missing (required)"
    value = repr(error.instance)
    if len(value) > 80:
        value = value[:77] + "..."
    return f"config key {_key(error.absolute_path)!r}: value {value} breaks the schema rule {_rule(error)}"


def validate(config: dict) -> dict:
    """Fill in the schema's defaults (in place) and check the config against the schema.

    Raises :class:`ConfigError` with one line per violation (the first few), each naming
    the key, the value and the rule it broke.
    """
    import jsonschema

    _fill_defaults(config, schema())
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(
        validator.iter_errors(config), key=lambda e: (len(e.absolute_path), list(map(str, e.path)))
    )
    if errors:
        lines = list(dict.fromkeys(_message(e) for e in errors))
        more = f" (and {len(lines) - 5} more)" if len(lines) > 5 else ""
        lines = lines[:5]
        raise ConfigError("; ".join(lines) + more)
    return config


def with_defaults(config: dict) -> dict:
    """A validated copy of ``config`` with every schema default filled in."""
    return validate(copy.deepcopy(config))


def coerce_cli_values(config: dict) -> dict:
    """``snakemake --config rtols=[1e-3,1e-6]`` passes list items as strings; make the
    numeric lists numbers again (anything unparsable is left for the schema to reject)."""

    def num(x):
        if isinstance(x, str):
            try:
                return float(x)
            except ValueError:
                return x
        return x

    if isinstance(config.get("rtols"), list):
        config["rtols"] = [num(x) for x in config["rtols"]]
    return config
