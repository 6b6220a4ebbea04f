"""Typed domain errors. Every message is French: pages show it as it is."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base class: `message` is what the user reads."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    def __init__(self, message: str = "Licence introuvable.") -> None:
        super().__init__(message)


class NotAllowed(DomainError):
    def __init__(self, message: str = "Vous n'êtes pas autorisé à effectuer cette opération.") -> None:
        super().__init__(message)


class InvalidTransition(DomainError):
    pass


class ConcurrentChange(DomainError):
    def __init__(
        self,
        message: str = (
            "La licence a été modifiée entre-temps par un autre utilisateur. "
            "Rechargez-la avant de recommencer : rien n'a été enregistré."
        ),
    ) -> None:
        super().__init__(message)


class ValidationFailed(DomainError):
    """One or more fields refused: `errors` maps a field name to its French message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class AuthenticationFailed(DomainError):
    pass
