"""Forms for measures pages. A questionnaire's items are rendered from the instrument's
definition (ItemView, used by the client's link and by paper entry) and parsed with
administrations.parse_answers, whose errors name the item."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from therapia.measures.definition import InstrumentDefinition
from therapia.measures.models import AlertAction, Occasion
from therapia.measures.plans import DEFAULT_LEAD_HOURS, RuleSpec


@dataclass(frozen=True)
class OptionView:
    value: int
    label: str
    checked: bool
    input_id: str


@dataclass(frozen=True)
class ItemView:
    number: int
    name: str
    legend: str
    options: list[OptionView]
    continuous: bool
    low: float
    high: float
    step: str
    value: str
    error: str
    required: bool


def item_views(definition: InstrumentDefinition, values: Sequence[Any] | Mapping[str, Any],
               errors: Mapping[str, str], *, with_text: bool) -> list[ItemView]:
    """`values`: stored item values in order, or the submitted form data."""
    views: list[ItemView] = []
    for index, item in enumerate(definition.items):
        name = f"item_{item.number}"
        if isinstance(values, Mapping):
            raw = values.get(name)
        else:
            raw = values[index] if index < len(values) else None
        current = "" if raw is None else str(raw)
        scale = definition.scale_of(item.number)
        legend = (item.text or item.label) if with_text else f"Item {item.number}: {item.label}"
        if item.label.startswith("Item ") and not with_text:
            legend = item.label
        options = [OptionView(o.value, o.label if with_text else f"{o.value}: {o.label}",
                              current == str(o.value), f"{name}_{o.value}")
                   for o in scale.options]
        step = "1" if scale.decimals == 0 else f"{10 ** -scale.decimals:g}"
        views.append(ItemView(item.number, name, legend, options, scale.kind == "continuous",
                              scale.low, scale.high, step, current, errors.get(name, ""),
                              item.required))
    return views


class SendForm(forms.Form):
    instrument = forms.ChoiceField(label="Questionnaire")
    delivery = forms.ChoiceField(
        label="How", widget=forms.RadioSelect, initial="email",
        choices=[("email", "E-mail the client a private link"),
                 ("link", "Show me a private link to give the client"),
                 ("paper", "Enter a paper form now")])

    def __init__(self, *args: Any, instruments: list[tuple[str, InstrumentDefinition]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["instrument"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [
            (key, d.short_name if d.item_text.shipped else f"{d.short_name} (paper only)")
            for key, d in instruments]


PLAN_ROWS = 6
OCCASION_CHOICES = [("", "—"), *((o.value, o.label) for o in Occasion if o != Occasion.AD_HOC)]


class PlanForm(forms.Form):
    lead_time_hours = forms.IntegerField(
        label="Send the link this many hours before a session", min_value=0, max_value=336,
        initial=DEFAULT_LEAD_HOURS)

    def __init__(self, *args: Any, instruments: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(1, PLAN_ROWS + 1):
            self.fields[f"instrument_{row}"] = forms.ChoiceField(
                label=f"Questionnaire {row}", required=False,
                choices=[("", "—"), *instruments])
            self.fields[f"occasion_{row}"] = forms.ChoiceField(
                label=f"When {row}", required=False, choices=OCCASION_CHOICES)
            self.fields[f"every_n_{row}"] = forms.IntegerField(
                label=f"Every how many sessions {row}", required=False, min_value=2,
                max_value=12)
            self.fields[f"months_{row}"] = forms.IntegerField(
                label=f"Months after discharge {row}", required=False, min_value=1,
                max_value=60)

    def rows(self) -> list[dict[str, forms.BoundField]]:
        return [{key: self[f"{key}_{row}"] for key in ("instrument", "occasion", "every_n",
                                                       "months")}
                for row in range(1, PLAN_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for row in range(1, PLAN_ROWS + 1):
            instrument, occasion = data.get(f"instrument_{row}"), data.get(f"occasion_{row}")
            if instrument and not occasion:
                self.add_error(f"occasion_{row}", "Choose when it is given.")
            if occasion and not instrument:
                self.add_error(f"instrument_{row}", "Choose a questionnaire.")
            if occasion == Occasion.EVERY_NTH_SESSION and not data.get(f"every_n_{row}"):
                self.add_error(f"every_n_{row}", "Say every how many sessions (2 to 12).")
            if occasion == Occasion.FOLLOW_UP and not data.get(f"months_{row}"):
                self.add_error(f"months_{row}", "Say how many months after discharge.")
        return data

    def specs(self) -> list[RuleSpec]:
        found = []
        for row in range(1, PLAN_ROWS + 1):
            instrument = self.cleaned_data.get(f"instrument_{row}")
            occasion = self.cleaned_data.get(f"occasion_{row}")
            if instrument and occasion:
                found.append(RuleSpec(
                    instrument, occasion,
                    self.cleaned_data.get(f"every_n_{row}")
                    if occasion == Occasion.EVERY_NTH_SESSION else None,
                    self.cleaned_data.get(f"months_{row}")
                    if occasion == Occasion.FOLLOW_UP else None))
        return found


class AcknowledgeForm(forms.Form):
    action = forms.ChoiceField(label="What did you do?", widget=forms.RadioSelect,
                               choices=AlertAction.choices)
    note = forms.CharField(
        label="Note", required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional, except when no further action is needed. Kept encrypted.")
