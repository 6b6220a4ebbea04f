"""The licence lifecycle as one table.

Services ask it before acting, pages ask it which buttons to draw, tests enumerate it.
An unknown (status, action) pair raises `InvalidTransition`: nothing is silently ignored.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from core.errors import InvalidTransition, NotAllowed
from core.text import fr_amount, fr_date


class Role(StrEnum):
    EXPORTER = "exportateur"
    MCE = "mce"
    CUSTOMS = "douane"
    BANK = "banque"
    ANALYST = "analyste"
    ADMIN = "admin"


ROLE_LABELS: Mapping[Role, str] = MappingProxyType(
    {
        Role.EXPORTER: "Exportateur / déclarant",
        Role.MCE: "Ministère du Commerce Extérieur (visa)",
        Role.CUSTOMS: "Douane (imputation)",
        Role.BANK: "Banque (rapatriement et apurement)",
        Role.ANALYST: "Analyste",
        Role.ADMIN: "Administrateur",
    }
)


class Status(StrEnum):
    DRAFT = "BROUILLON"
    SUBMITTED = "SOUMISE"
    VISAED = "VISEE"
    REFUSED = "REFUSEE"
    PARTIALLY_IMPUTED = "IMPUTEE_PARTIELLEMENT"
    FULLY_IMPUTED = "IMPUTEE_TOTALEMENT"
    SETTLED = "APUREE"
    CANCELLED = "ANNULEE"
    EXPIRED = "EXPIREE"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: Mapping[Status, str] = MappingProxyType(
    {
        Status.DRAFT: "Brouillon",
        Status.SUBMITTED: "Soumise pour visa MCE",
        Status.VISAED: "Visée",
        Status.REFUSED: "Refusée",
        Status.PARTIALLY_IMPUTED: "Imputée partiellement",
        Status.FULLY_IMPUTED: "Imputée totalement",
        Status.SETTLED: "Apurée",
        Status.CANCELLED: "Annulée",
        Status.EXPIRED: "Expirée",
    }
)

# Badge colours, shared by the screens, the PDF and the charts.
STATUS_COLOURS: Mapping[Status, str] = MappingProxyType(
    {
        Status.DRAFT: "#7f8c8d",
        Status.SUBMITTED: "#e67e22",
        Status.VISAED: "#2980b9",
        Status.REFUSED: "#c0392b",
        Status.PARTIALLY_IMPUTED: "#8e44ad",
        Status.FULLY_IMPUTED: "#5e3370",
        Status.SETTLED: "#27ae60",
        Status.CANCELLED: "#34495e",
        Status.EXPIRED: "#a0522d",
    }
)

IMPUTED_STATUSES = frozenset({Status.PARTIALLY_IMPUTED, Status.FULLY_IMPUTED})
# Imputed, or imputed and then settled: the licences whose quantities customs has drawn on.
IMPUTED_OR_SETTLED = frozenset(IMPUTED_STATUSES | {Status.SETTLED})
# Submitted onward, in lifecycle order: what the MCE, customs, bank and analysts see and count.
SUBMITTED_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s != Status.DRAFT)


class Action(StrEnum):
    CREATE = "CREER"
    EDIT = "MODIFIER_BROUILLON"
    SUBMIT = "SOUMETTRE"
    CANCEL = "ANNULER"
    REQUEST_MODIFICATION = "DEMANDER_MODIFICATION"
    GRANT_VISA = "ACCORDER_VISA"
    REFUSE = "REFUSER"
    SEND_BACK = "RENVOYER_CORRECTION"
    IMPUTE = "IMPUTER"
    REVERSE_IMPUTATION = "ANNULER_IMPUTATION"
    RECORD_REPATRIATION = "RAPATRIER"
    WITHDRAW_REPATRIATION = "RETIRER_RAPATRIEMENT"
    SETTLE = "APURER"
    EXPIRE = "EXPIRER"
    COPY = "COPIER"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: Mapping[Action, str] = MappingProxyType(
    {
        Action.CREATE: "Création de la licence",
        Action.EDIT: "Modification du brouillon",
        Action.SUBMIT: "Soumission pour visa MCE",
        Action.CANCEL: "Annulation",
        Action.REQUEST_MODIFICATION: "Demande de modification",
        Action.GRANT_VISA: "Visa MCE accordé",
        Action.REFUSE: "Visa MCE refusé",
        Action.SEND_BACK: "Renvoi pour correction",
        Action.IMPUTE: "Imputation douanière",
        Action.REVERSE_IMPUTATION: "Annulation d'une imputation",
        Action.RECORD_REPATRIATION: "Justificatif de rapatriement",
        Action.WITHDRAW_REPATRIATION: "Retrait d'un justificatif de rapatriement",
        Action.SETTLE: "Apurement",
        Action.EXPIRE: "Expiration de la validité",
        Action.COPY: "Copie dans une nouvelle licence",
    }
)

# The system itself (expiry) acts under no role.
SYSTEM = "systeme"

_S = Status
# (status, action) -> the statuses the licence may be in afterwards. Imputation lands on partial or
# total depending on the remaining quantities; everything else has exactly one outcome.
TRANSITIONS: Mapping[tuple[Status | None, Action], tuple[Status, ...]] = MappingProxyType(
    {
        (None, Action.CREATE): (_S.DRAFT,),
        (_S.DRAFT, Action.EDIT): (_S.DRAFT,),
        (_S.DRAFT, Action.SUBMIT): (_S.SUBMITTED,),
        (_S.DRAFT, Action.CANCEL): (_S.CANCELLED,),
        (_S.SUBMITTED, Action.GRANT_VISA): (_S.VISAED,),
        (_S.SUBMITTED, Action.REFUSE): (_S.REFUSED,),
        (_S.SUBMITTED, Action.SEND_BACK): (_S.DRAFT,),
        (_S.VISAED, Action.CANCEL): (_S.CANCELLED,),
        (_S.VISAED, Action.REQUEST_MODIFICATION): (_S.DRAFT,),
        (_S.VISAED, Action.IMPUTE): (_S.PARTIALLY_IMPUTED, _S.FULLY_IMPUTED),
        (_S.VISAED, Action.EXPIRE): (_S.EXPIRED,),
        (_S.PARTIALLY_IMPUTED, Action.IMPUTE): (_S.PARTIALLY_IMPUTED, _S.FULLY_IMPUTED),
        (_S.PARTIALLY_IMPUTED, Action.RECORD_REPATRIATION): (_S.PARTIALLY_IMPUTED,),
        (_S.PARTIALLY_IMPUTED, Action.SETTLE): (_S.SETTLED,),
        (_S.FULLY_IMPUTED, Action.RECORD_REPATRIATION): (_S.FULLY_IMPUTED,),
        (_S.FULLY_IMPUTED, Action.SETTLE): (_S.SETTLED,),
        # A mistaken imputation reversed: the status is recomputed from what stays imputed
        # (every imputation takes something from a line, so a total one cannot stay total).
        (_S.PARTIALLY_IMPUTED, Action.REVERSE_IMPUTATION): (_S.VISAED, _S.PARTIALLY_IMPUTED),
        (_S.FULLY_IMPUTED, Action.REVERSE_IMPUTATION): (_S.VISAED, _S.PARTIALLY_IMPUTED),
        # A proof recorded by mistake is withdrawn before settlement; the status stays.
        (_S.PARTIALLY_IMPUTED, Action.WITHDRAW_REPATRIATION): (_S.PARTIALLY_IMPUTED,),
        (_S.FULLY_IMPUTED, Action.WITHDRAW_REPATRIATION): (_S.FULLY_IMPUTED,),
        **{(status, Action.COPY): (status,) for status in Status},
    }
)

ACTION_ROLES: Mapping[Action, frozenset[str]] = MappingProxyType(
    {
        Action.CREATE: frozenset({Role.EXPORTER}),
        Action.EDIT: frozenset({Role.EXPORTER}),
        Action.SUBMIT: frozenset({Role.EXPORTER}),
        Action.CANCEL: frozenset({Role.EXPORTER}),
        Action.REQUEST_MODIFICATION: frozenset({Role.EXPORTER}),
        Action.COPY: frozenset({Role.EXPORTER}),
        Action.GRANT_VISA: frozenset({Role.MCE}),
        Action.REFUSE: frozenset({Role.MCE}),
        Action.SEND_BACK: frozenset({Role.MCE}),
        Action.IMPUTE: frozenset({Role.CUSTOMS}),
        Action.REVERSE_IMPUTATION: frozenset({Role.CUSTOMS}),
        Action.RECORD_REPATRIATION: frozenset({Role.BANK}),
        Action.WITHDRAW_REPATRIATION: frozenset({Role.BANK}),
        Action.SETTLE: frozenset({Role.BANK}),
        Action.EXPIRE: frozenset({SYSTEM}),
    }
)


def targets(status: Status | None, action: Action) -> tuple[Status, ...]:
    """The statuses `action` may lead to from `status`; raises if the pair is not in the table."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        label = status.label if status else "inexistante"
        raise InvalidTransition(
            f"Opération « {action.label} » impossible : la licence est « {label} »."
        ) from None


def is_allowed(status: Status | None, action: Action, role: str) -> bool:
    return (status, action) in TRANSITIONS and role in ACTION_ROLES[action]


def check(status: Status | None, action: Action, role: str) -> tuple[Status, ...]:
    """Raise `NotAllowed` or `InvalidTransition` unless `role` may do `action` in `status`."""
    if role not in ACTION_ROLES[action]:
        raise NotAllowed(f"Votre profil ne permet pas l'opération « {action.label} ».")
    return targets(status, action)


def allowed_actions(status: Status, role: str) -> list[Action]:
    """What a page may offer to `role` for a licence in `status`, in the table's order."""
    return [a for a in Action if is_allowed(status, a, role)]


def statuses_allowing(action: Action) -> tuple[Status, ...]:
    """The statuses from which the table allows `action`, in lifecycle order: the worklists and
    the dashboard ask this rather than listing statuses of their own."""
    return tuple(s for s in Status if (s, action) in TRANSITIONS)


# Customs' worklist and the licences that may still expire: visaed, or partly imputed.
IMPUTABLE_STATUSES = statuses_allowing(Action.IMPUTE)
# The bank's worklist: imputed licences, which take repatriation proofs until settled.
REPATRIATION_STATUSES = statuses_allowing(Action.RECORD_REPATRIATION)
# Where customs may reverse a mistaken imputation.
REVERSIBLE_STATUSES = statuses_allowing(Action.REVERSE_IMPUTATION)
# Submitted and waiting for the MCE: nothing about the licence changes until the answer.
AWAITING_VISA = statuses_allowing(Action.GRANT_VISA)
# The MCE's three answers to a submitted licence, in the order the screens list them.
DECISIONS: tuple[Action, ...] = (Action.GRANT_VISA, Action.REFUSE, Action.SEND_BACK)


# ------------------------------------------------------------------ who sees what
# Exporters see their own company's licences, drafts included; every other role sees the
# licences of all companies once submitted.
SEES_OWN_COMPANY_ONLY = frozenset({Role.EXPORTER})
# Who is told what happened to their licences since their last visit.
NOTIFIED_ROLES = frozenset({Role.EXPORTER})


class Screen(StrEnum):
    """The screens of the tool, asked by the menu, by each page's guard and by the core
    functions that serve one screen only (queues, dashboard, administration)."""

    HOME = "home"
    NEW_LICENCE = "new_licence"
    MANAGE = "manage"
    CONSULT = "consult"
    VISA = "visa"
    IMPUTATION = "imputation"
    REPATRIATION = "repatriation"
    DASHBOARD = "dashboard"
    ADMINISTRATION = "administration"
    PASSWORD = "password"


SCREEN_ROLES: Mapping[Screen, frozenset[Role]] = MappingProxyType(
    {
        Screen.HOME: frozenset(Role),
        Screen.NEW_LICENCE: frozenset({Role.EXPORTER}),
        Screen.MANAGE: frozenset({Role.EXPORTER}),
        Screen.CONSULT: frozenset(Role),
        Screen.VISA: frozenset({Role.MCE}),
        Screen.IMPUTATION: frozenset({Role.CUSTOMS}),
        Screen.REPATRIATION: frozenset({Role.BANK}),
        Screen.DASHBOARD: frozenset({Role.ANALYST, Role.MCE, Role.ADMIN}),
        Screen.ADMINISTRATION: frozenset({Role.ADMIN}),
        Screen.PASSWORD: frozenset(Role),
    }
)

# What each role does in the circuit, as the login page tells it.
ROLE_DUTIES: Mapping[Role, str] = MappingProxyType(
    {
        Role.EXPORTER: "crée, complète, soumet, modifie, annule et imprime les licences de sa société",
        Role.MCE: "accorde ou refuse le visa, renvoie pour correction",
        Role.CUSTOMS: "impute les déclarations sur les licences visées",
        Role.BANK: "enregistre les rapatriements et apure les licences",
        Role.ANALYST: "consulte toutes les licences soumises et le tableau de bord",
        Role.ADMIN: "gère utilisateurs, sociétés, référentiels et la démo",
    }
)


def can_open(role: str, screen: Screen) -> bool:
    return role in SCREEN_ROLES[screen]


def require_screen(role: str, screen: Screen) -> None:
    """Raise `NotAllowed` unless `role` may open `screen` (core functions of one screen)."""
    if not can_open(role, screen):
        raise NotAllowed("Cet écran n'est pas ouvert à votre profil.")


# ------------------------------------------------------------------ the visa's validity
VISA_MAX_MONTHS = 36  # a visa is valid three years at the most


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_validity_end(visa_day: dt.date) -> dt.date:
    """The last validity end the MCE may give a visa granted on `visa_day`."""
    return months_after(visa_day, VISA_MAX_MONTHS)


# ------------------------------------------------------------------ what a licence needs
def missing_items(countries: int, invoices: int, goods: int) -> list[str]:
    """What *Soumettre pour visa* still needs, in the guide's words, from the counts of the
    licence's destinations, invoices and goods lines. Empty when the licence is complete."""
    missing = []
    if not countries:
        missing.append("Au moins un pays de destination doit être renseigné.")
    if not invoices:
        missing.append("Au moins une facture doit être ajoutée.")
    if not goods:
        missing.append("Au moins une marchandise est requise.")
    return missing


# ------------------------------------------------------------------ settlement
def imputation_closed(status: Status, validity_end: dt.date | None, on: dt.date) -> bool:
    """Total imputation, or a partial one whose validity has ended."""
    if status == Status.FULLY_IMPUTED:
        return True
    return status == Status.PARTIALLY_IMPUTED and validity_end is not None and validity_end < on


def settle_blocker(
    status: Status,
    validity_end: dt.date | None,
    imputed: Decimal,
    repatriated: Decimal,
    currency: str,
    on: dt.date,
) -> str | None:
    """Why *Apurer* is refused (amounts written the French way); None when it would settle.
    The use case and the bank's screen both ask it, so they always agree."""
    if status not in IMPUTED_STATUSES:
        return f"Apurement impossible : la licence est « {status.label} »."
    if not imputation_closed(status, validity_end, on):
        return ("Imputation encore ouverte : l'apurement d'une licence imputée partiellement "
                "attend la fin de sa validité"
                + (f" ({fr_date(validity_end)})." if validity_end else "."))
    if repatriated < imputed:
        return (f"Rapatriement insuffisant : {fr_amount(repatriated, currency)} rapatriés pour "
                f"{fr_amount(imputed, currency)} imputés (reste dû "
                f"{fr_amount(imputed - repatriated, currency)}).")
    return None
