"""The license table a profile names (`licenses: il-licenses`): per license type, the number
format, the renewal cycle and the degree the license needs, each with its citation and verified
flag. Data, not code: a grant
writer corrects a row in a copied YAML file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cmpacket.errors import ProfileError

BUILTIN_TABLES = ("il-licenses",)
YEARS = ("odd", "even", "any")
LEVELS = ("associate", "bachelor", "master", "doctorate")

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when there: ~10x faster


def license_table(ref: Any, source: str) -> dict[str, Any]:
    """The table `ref` names (a built-in name or a file beside the profile), an inline mapping,
    or {} when the profile names none. Raises ProfileError with the place of a bad entry."""
    if ref is None or ref == {}:
        return {}
    if isinstance(ref, dict):
        data, where = ref, f"{source}: licenses"
    else:
        name = str(ref)
        if name in BUILTIN_TABLES:
            text = resources.files("cmpacket.profiles").joinpath(f"{name}.yaml")
            where, raw = name, text.read_text()
        else:
            base = Path(source).parent if Path(source).suffix else Path.cwd()
            path = base / name
            if not path.is_file():
                raise ProfileError(
                    f"{source}: licenses: {name!r} is neither a built-in license table nor a file "
                    f"beside the profile.",
                    hint=f"Built-in tables: {', '.join(BUILTIN_TABLES)}; or a .yaml file path.",
                )
            where, raw = str(path), path.read_text(encoding="utf-8-sig")
        try:
            data = yaml.load(raw, Loader=SAFE_LOADER)
        except yaml.YAMLError as exc:
            raise ProfileError(f"{where}: YAML error in license table: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
        raise ProfileError(f"{where}: a license table is a mapping with `types`.")
    types = {}
    for key, row in data["types"].items():
        types[str(key).upper()] = _row(row, f"{where}: types.{key}")
    return {"name": str(data.get("name", "")), "state": str(data.get("state", "")), "types": types}


def _row(row: Any, where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise ProfileError(
            f"{where}: a license type is a mapping with `number`, `renewal` and `degree`."
        )
    out: dict[str, Any] = {"name": str(row.get("name", ""))}
    number = row.get("number")
    if number is not None:
        prefix = str(number.get("prefix", "")) if isinstance(number, dict) else ""
        digits = number.get("digits", 6) if isinstance(number, dict) else None
        if not prefix.isdigit() or not isinstance(digits, int) or digits < 1:
            raise ProfileError(
                f'{where}.number: give `prefix` (digits, in quotes: "041") and `digits` '
                f'(a whole number), e.g. {{prefix: "150", digits: 6}}.'
            )
        out["number"] = {**_cited(number), "prefix": prefix, "digits": digits}
    renewal = row.get("renewal")
    if renewal is not None:
        ok = isinstance(renewal, dict)
        month, day = (renewal.get("month"), renewal.get("day")) if ok else (None, None)
        years = str(renewal.get("years", "any")) if ok else ""
        if not (isinstance(month, int) and isinstance(day, int) and 1 <= month <= 12) or (
            years not in YEARS or not 1 <= day <= 31
        ):
            raise ProfileError(
                f"{where}.renewal: give `month` (1-12), `day` (1-31) and `years` (odd, even or "
                f"any), e.g. {{month: 11, day: 30, years: odd}}."
            )
        out["renewal"] = {**_cited(renewal), "month": month, "day": day, "years": years}
    degree = row.get("degree")
    if degree is not None:
        ok = isinstance(degree, dict)
        level = degree.get("level") if ok else None
        fields = degree.get("fields") if ok else None
        if level not in LEVELS or not (
            isinstance(fields, list) and fields and all(isinstance(f, str) for f in fields)
        ):
            raise ProfileError(
                f"{where}.degree: give the lowest `level` ({', '.join(LEVELS)}) and the `fields` "
                f"a degree's field must name one of, e.g. {{level: master, fields: [social work]}}."
            )
        fields_low = [f.strip().lower() for f in fields]
        out["degree"] = {**_cited(degree), "level": level, "fields": fields_low}
    return out


def _cited(entry: dict[str, Any]) -> dict[str, Any]:
    return {"citation": str(entry.get("citation", "")), "verified": bool(entry.get("verified"))}
