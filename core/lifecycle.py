"""The licence lifecycle as one table.

Services ask it before acting, pages ask it which buttons to draw, tests enumerate it.
An unknown (status, action) pair raises `InvalidTransition`: nothing is silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from core.errors import InvalidTransition, NotAllowed


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

FINAL_STATUSES = frozenset({Status.REFUSED, Status.CANCELLED, Status.SETTLED, Status.EXPIRED})
IMPUTED_STATUSES = frozenset({Status.PARTIALLY_IMPUTED, Status.FULLY_IMPUTED})
# Statuses that count as "actioned" (submitted onward) for consultation and counterparties.
ACTIONED_STATUSES = frozenset(set(Status) - {Status.DRAFT})


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


# Which licences each role sees. Companies matter for exporters only.
SEES_OWN_COMPANY_ONLY = frozenset({Role.EXPORTER})
SEES_ACTIONED_OF_ALL = frozenset({Role.MCE, Role.CUSTOMS, Role.BANK, Role.ANALYST, Role.ADMIN})
