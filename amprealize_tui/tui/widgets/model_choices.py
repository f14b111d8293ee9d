"""What the model picker offers: core availability flattened into choices, or why there are none.

Kept apart from the composer because it imports the core providers (pydantic), which the first
paint does without.
"""

from __future__ import annotations

from dataclasses import dataclass

from amprealize_tui.core.providers.availability import Availability, ReadinessState


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """One picker entry: what the availability service said, flattened for display."""

    model_id: str
    display_name: str
    credential_source: str  # user | project | org | platform | none

    @property
    def label(self) -> str:
        source = {"platform": "platform key", "none": "local"}.get(
            self.credential_source, f"BYOK {self.credential_source}"
        )
        return f"{self.display_name} · {source}"


@dataclass(frozen=True, slots=True)
class PickerState:
    """Everything the composer shows about models: the choices, or why there are none."""

    choices: tuple[ModelChoice, ...]
    suggested_model_id: str | None
    ready: bool
    reason: str  # short, for the empty picker: "needs an API key", "key invalid or locked"
    message: str  # a sentence saying what to do


_REASONS = {
    ReadinessState.NEEDS_API_KEY: "needs an API key",
    ReadinessState.INVALID_KEY: "key invalid or locked",
    ReadinessState.NO_MODEL_AVAILABLE: "none configured",
}


def picker_state(availability: Availability) -> PickerState:
    """Flatten a core `Availability` (models + readiness) into what the composer shows."""
    readiness = availability.readiness
    choices = tuple(
        ModelChoice(item.model.model_id, item.model.display_name, item.credential_source)
        for item in availability.models
    )
    ready = readiness.state is ReadinessState.READY and bool(choices)
    return PickerState(
        choices,
        readiness.suggested_model_id,
        ready,
        _REASONS.get(readiness.state, "none available"),
        readiness.message,
    )
