"""Forms for signing in, the second factor and password reset."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

STRENGTH_HELP = (
    "At least 12 characters. Not a common password, not only numbers, "
    "and not too like your name or e-mail."
)


class SignInForm(forms.Form):
    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _code_widget(inputmode: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "autocomplete": "one-time-code",
            "inputmode": inputmode,
            "autocapitalize": "off",
            "spellcheck": "false",
            "autofocus": True,
        }
    )


class CodeForm(forms.Form):
    """At sign-in: the authenticator's code or one backup code (letters and digits)."""

    code = forms.CharField(
        label="Code from your authenticator app, or a backup code",
        max_length=20,
        widget=_code_widget("text"),
    )


class EnrolCodeForm(forms.Form):
    """At enrolment: the six-digit code the authenticator app shows."""

    code = forms.CharField(
        label="Six-digit code from the app", max_length=20, widget=_code_widget("numeric")
    )


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = STRENGTH_HELP
        self.fields["new_password2"].label = "New password again"
        self.fields["new_password2"].help_text = ""


class ConfirmForm(forms.Form):
    """Before a sensitive action: the password and a second factor again."""

    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label="Code from your authenticator app, or a backup code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                      "autocapitalize": "off", "spellcheck": "false"}),
    )
