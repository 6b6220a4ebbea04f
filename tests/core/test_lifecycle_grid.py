"""The full status × action × role grid against a table written from the guide and DESIGN.md.

Each line below reads: status, action, roles allowed, resulting statuses. Any pair not listed must
be refused for every role. This table is typed by hand from the documents, not from the code.
"""

from __future__ import annotations

import pytest

from core.errors import InvalidTransition, NotAllowed
from core.lifecycle import Action, Role, Status, allowed_actions, check, is_allowed

EXPECTED = """
-                      CREER                   exportateur  BROUILLON
BROUILLON              MODIFIER_BROUILLON      exportateur  BROUILLON
BROUILLON              SOUMETTRE               exportateur  SOUMISE
BROUILLON              ANNULER                 exportateur  ANNULEE
SOUMISE                ACCORDER_VISA           mce          VISEE
SOUMISE                REFUSER                 mce          REFUSEE
SOUMISE                RENVOYER_CORRECTION     mce          BROUILLON
VISEE                  IMPUTER                 douane       IMPUTEE_PARTIELLEMENT,IMPUTEE_TOTALEMENT
VISEE                  DEMANDER_MODIFICATION   exportateur  BROUILLON
VISEE                  ANNULER                 exportateur  ANNULEE
VISEE                  EXPIRER                 systeme      EXPIREE
IMPUTEE_PARTIELLEMENT  IMPUTER                 douane       IMPUTEE_PARTIELLEMENT,IMPUTEE_TOTALEMENT
IMPUTEE_PARTIELLEMENT  RAPATRIER               banque       IMPUTEE_PARTIELLEMENT
IMPUTEE_PARTIELLEMENT  APURER                  banque       APUREE
IMPUTEE_TOTALEMENT     RAPATRIER               banque       IMPUTEE_TOTALEMENT
IMPUTEE_TOTALEMENT     APURER                  banque       APUREE
IMPUTEE_PARTIELLEMENT  ANNULER_IMPUTATION      douane       VISEE,IMPUTEE_PARTIELLEMENT
IMPUTEE_TOTALEMENT     ANNULER_IMPUTATION      douane       VISEE,IMPUTEE_PARTIELLEMENT
IMPUTEE_PARTIELLEMENT  RETIRER_RAPATRIEMENT    banque       IMPUTEE_PARTIELLEMENT
IMPUTEE_TOTALEMENT     RETIRER_RAPATRIEMENT    banque       IMPUTEE_TOTALEMENT
"""
# Copying into a new draft is open to the exporter from every status (final ones included).
COPY_FROM_EVERY_STATUS = "exportateur"

ALL_ROLES = [*(r.value for r in Role), "systeme"]


def _expected() -> dict[tuple[str | None, str], tuple[set[str], set[str]]]:
    table: dict[tuple[str | None, str], tuple[set[str], set[str]]] = {}
    for line in EXPECTED.strip().splitlines():
        status, action, roles, targets = line.split()
        key = (None if status == "-" else status, action)
        table[key] = (set(roles.split(",")), set(targets.split(",")))
    for status in Status:
        table[(status.value, "COPIER")] = ({COPY_FROM_EVERY_STATUS}, {status.value})
    return table


GRID = [
    (status, action, role)
    for status in [None, *Status]
    for action in Action
    for role in ALL_ROLES
]


@pytest.mark.parametrize(("status", "action", "role"), GRID)
def test_grid(status: Status | None, action: Action, role: str) -> None:
    expected = _expected().get((status.value if status else None, action.value))
    if expected is not None and role in expected[0]:
        assert is_allowed(status, action, role)
        assert {s.value for s in check(status, action, role)} == expected[1]
    else:
        assert not is_allowed(status, action, role)
        with pytest.raises((NotAllowed, InvalidTransition)) as info:
            check(status, action, role)
        assert info.value.message  # a French sentence for the screen


def test_final_statuses_offer_only_copy() -> None:
    for status in (Status.REFUSED, Status.CANCELLED, Status.SETTLED, Status.EXPIRED):
        for role in ALL_ROLES:
            expected = [Action.COPY] if role == "exportateur" else []
            assert allowed_actions(status, role) == expected


def test_nothing_changes_while_awaiting_the_ministry() -> None:
    assert allowed_actions(Status.SUBMITTED, Role.EXPORTER) == [Action.COPY]
    assert set(allowed_actions(Status.SUBMITTED, Role.MCE)) == {
        Action.GRANT_VISA, Action.REFUSE, Action.SEND_BACK}


def test_labels_are_the_guides() -> None:
    assert Status.SUBMITTED.label == "Soumise pour visa MCE"
    assert Status.SETTLED.label == "Apurée"
    assert Status.PARTIALLY_IMPUTED.label == "Imputée partiellement"
