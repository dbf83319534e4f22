"""The one application error. Services raise it; commands and the API turn it into output."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with the input, at a JSON path such as `claims[3].value.quantity.low`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ApplicationError(Exception):
    def __init__(self, message: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
