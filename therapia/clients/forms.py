from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from therapia.clients.models import Client


class ClientForm(forms.ModelForm[Client]):
    class Meta:
        model = Client
        fields = (
            "legal_given_name", "legal_family_name", "preferred_name", "pronouns",
            "date_of_birth", "email", "phone", "address", "language",
            "emergency_contact_name", "emergency_contact_phone", "emergency_contact_relationship",
        )
        labels = {
            "legal_given_name": "Legal first name",
            "legal_family_name": "Legal last name",
            "preferred_name": "Preferred name",
            "date_of_birth": "Date of birth",
            "emergency_contact_name": "Emergency contact",
            "emergency_contact_phone": "Emergency contact's phone",
            "emergency_contact_relationship": "Their relationship to the client",
        }
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 3}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }

    def clean_date_of_birth(self) -> dt.date:
        born: dt.date = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if born < dt.date(1900, 1, 1):
            raise forms.ValidationError("Please check the year: it is before 1900.")
        return born


class ClientSearchForm(forms.Form):
    q = forms.CharField(label="Search by name, e-mail or phone", required=False, max_length=100)
