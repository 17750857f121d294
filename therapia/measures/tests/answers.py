"""Building answers that reach a chosen score, for table-driven band tests."""

from __future__ import annotations

from therapia.measures.definition import InstrumentDefinition, ScoreRule
from therapia.measures.scoring import Value


def answers_for(definition: InstrumentDefinition, rule_id: str, target: float) -> list[Value]:
    """Answers (as entered, reverse keys undone) whose `rule_id` score is `target`; every
    other item gets the answer that scores lowest."""
    rule = next(r for r in definition.score_rules if r.id == rule_id)
    scored = {n: definition.scale_of(n).low for n in range(1, len(definition.items) + 1)}
    remaining = _raw_target(rule, target) - sum(scored[n] for n in rule.items)
    for number in rule.items:
        scale = definition.scale_of(number)
        step = min(scale.high - scale.low, remaining)
        if scale.kind == "options":
            step = max(o.value for o in scale.options if o.value - scale.low <= step) - scale.low
        scored[number] += step
        remaining = round(remaining - step, 6)
    assert remaining == 0, f"cannot reach {target} on {definition.id} {rule_id}"
    return [_entered(definition, n, scored[n]) for n in range(1, len(definition.items) + 1)]


def _raw_target(rule: ScoreRule, target: float) -> float:
    factor = {"sum": 1, "sum_x2": 2, "mean_x10": 10 / len(rule.items)}[rule.method]
    return round(target / factor, 6)


def _entered(definition: InstrumentDefinition, number: int, scored: float) -> Value:
    scale = definition.scale_of(number)
    value = scale.low + scale.high - scored if definition.items[number - 1].reverse_keyed \
        else scored
    value = round(value, scale.decimals)
    return int(value) if scale.kind == "options" else value
