"""Field rules of DESIGN.md. A `Checker` collects every French message, then raises them together."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from core.errors import ValidationFailed

# Control characters (tab, line breaks included) and the bidirectional overrides and isolates
# that can make a text read differently from what it holds (U+202A–U+202E, U+2066–U+2069).
_SINGLE_LINE_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Multi-line texts (reasons) keep their line breaks, nothing else.
_MULTI_LINE_FORBIDDEN = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Visa numbers, declaration and bank references: what such identifiers are made of.
_REFERENCE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ./-]*[A-Za-z0-9])?")
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
        self,
        field: str,
        label: str,
        raw: object,
        *,
        max_len: int,
        required: bool = True,
        multiline: bool = False,
    ) -> str | None:
        """A free text, trimmed. Single-line texts refuse every control character (tab and line
        breaks included) and the bidirectional controls; multi-line ones keep line breaks."""
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            self.fail(field, f"{label} : texte attendu.")
            return None
        if multiline:
            raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        value = raw.strip()
        if not value:
            if required:
                self.fail(field, f"{label} : champ obligatoire.")
            return None
        if len(value) > max_len:
            self.fail(field, f"{label} : {max_len} caractères au plus ({len(value)} saisis).")
            return None
        forbidden = (_MULTI_LINE_FORBIDDEN if multiline else _SINGLE_LINE_FORBIDDEN).search(value)
        if forbidden:
            what = ("retour à la ligne ou tabulation" if forbidden.group() in "\t\n\r"
                    else "caractère de contrôle ou de sens d'écriture")
            self.fail(field, f"{label} : {what} interdit (U+{ord(forbidden.group()):04X}).")
            return None
        return value

    def reference(self, field: str, label: str, raw: object, *, max_len: int) -> str | None:
        """An identifier (visa number, declaration or bank reference): letters, digits, space,
        « - », « / » and « . », starting and ending with a letter or a digit; upper-cased."""
        value = self.text(field, label, raw, max_len=max_len)
        if value is None:
            return None
        if not _REFERENCE.fullmatch(value):
            self.fail(field, (f"{label} : lettres, chiffres, espace, « - », « / » et « . » "
                              f"uniquement, commençant et finissant par une lettre ou un chiffre "
                              f"({max_len} caractères au plus)."))
            return None
        return value.upper()

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
