"""Prices from litellm's bundled price map (never fetched: LITELLM_LOCAL_MODEL_COST_MAP
is set before litellm is imported), user overrides for local or unlisted models,
and a budget that refuses a call which could take the run past --max-cost."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from reviewer.errors import BudgetExceeded
from reviewer.settings import Settings


@dataclass(frozen=True)
class Price:
    input_per_token: float
    output_per_token: float
    known: bool  # False: litellm has no price for the model and none was set

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return input_tokens * self.input_per_token + output_tokens * self.output_per_token


def price_for(settings: Settings) -> Price:
    from reviewer.llm.litellm_import import litellm

    model = settings.model or ""
    info: dict = {}
    if settings.input_cost_per_mtok is None or settings.output_cost_per_mtok is None:
        try:
            info = dict(litellm.get_model_info(model))
        except litellm.exceptions.ModelNotMappedError:
            info = {}
    in_cost = info.get("input_cost_per_token")
    out_cost = info.get("output_cost_per_token")
    if settings.input_cost_per_mtok is not None:
        in_cost = settings.input_cost_per_mtok / 1e6
    if settings.output_cost_per_mtok is not None:
        out_cost = settings.output_cost_per_mtok / 1e6
    known = in_cost is not None and out_cost is not None
    return Price(float(in_cost or 0.0), float(out_cost or 0.0), known)


class Budget:
    """Spending for one run. ``reserve`` is called before each model request with
    the most that request could cost (its prompt tokens plus max_tokens of output);
    concurrent requests hold their reservations until ``settle`` records the real cost."""

    def __init__(self, max_cost: float | None) -> None:
        self.max_cost = max_cost
        self.spent = 0.0
        self._reserved = 0.0
        self._lock = threading.Lock()

    def reserve(self, estimate: float) -> None:
        with self._lock:
            if self.max_cost is not None and self.spent + self._reserved + estimate > self.max_cost:
                raise BudgetExceeded(
                    f"the next model call could cost up to ${estimate:.4f}, which would take this "
                    f"run past --max-cost ${self.max_cost:.4f} (spent ${self.spent:.4f})",
                    hint="Raise --max-cost; finished work is cached and is not paid for again.",
                )
            self._reserved += estimate

    def settle(self, estimate: float, actual: float) -> None:
        with self._lock:
            self._reserved = max(0.0, self._reserved - estimate)
            self.spent += actual
