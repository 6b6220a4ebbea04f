"""Field rules of DESIGN.md. A `Checker` collects every French message, then raises them together."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from core.errors import ValidationFailed

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_AMOUNT = Decimal("1000000000000")


def _to_decimal(raw: object) -> Decimal | None:
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, bool) or raw is None:
        return None
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return value if value.is_finite() else None


class Checker:
    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def done(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def decimal(
        self,
        field: str,
        label: str,
        raw: object,
        *,
        places: int,
        allow_zero: bool = False,
        required: bool = True,
    ) -> Decimal | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.fail(field, f"{label} : valeur obligatoire.")
            return None
        value = _to_decimal(raw)
        if value is None:
            self.fail(field, f"{label} : nombre attendu (ex. 1250,50).")
            return None
        if value < 0 or (value == 0 and not allow_zero):
            self.fail(field, f"{label} : doit être {'positif ou nul' if allow_zero else 'supérieur à 0'}.")
            return None
        if value >= MAX_AMOUNT:
            self.fail(field, f"{label} : valeur trop grande (inférieure à 10¹² attendue).")
            return None
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places and value != value.quantize(
            Decimal(1).scaleb(-places)
        ):
            self.fail(field, f"{label} : au plus {places} décimales.")
            return None
        return value.quantize(Decimal(1).scaleb(-places))

    def amount(self, field: str, label: str, raw: object) -> Decimal:
        return self.decimal(field, label, raw, places=2) or Decimal("0")

    def text(
        self, field: str, label: str, raw: object, *, max_len: int, required: bool = True
    ) -> str | None:
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            self.fail(field, f"{label} : texte attendu.")
            return None
        value = raw.strip()
        if not value:
            if required:
                self.fail(field, f"{label} : champ obligatoire.")
            return None
        if len(value) > max_len:
            self.fail(field, f"{label} : {max_len} caractères au plus ({len(value)} saisis).")
            return None
        if _CONTROL.search(value):
            self.fail(field, f"{label} : caractères de contrôle interdits.")
            return None
        return value

    def code(self, field: str, label: str, raw: object, options: Mapping[str, str]) -> str:
        value = raw.strip().upper() if isinstance(raw, str) else ""
        if not value:
            self.fail(field, f"{label} : sélectionnez une valeur dans la liste.")
        elif value not in options:
            self.fail(field, f"{label} : valeur « {str(raw)[:40]} » inconnue.")
        return value

    def date(
        self, field: str, label: str, raw: object, *, today: dt.date, not_future: bool = True
    ) -> dt.date:
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if isinstance(raw, str):
            try:
                raw = dt.date.fromisoformat(raw.strip())
            except ValueError:
                raw = None
        if not isinstance(raw, dt.date):
            self.fail(field, f"{label} : date invalide.")
            return today
        if raw.year < 1990:
            self.fail(field, f"{label} : date trop ancienne.")
        if not_future and raw > today:
            self.fail(field, f"{label} : la date ne peut pas être dans le futur.")
        return raw
