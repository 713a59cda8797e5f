"""Forms of the access app. They parse and validate; the services in access.services save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Action, ApiScope, ObjectType
from peyvand.access.models import Department, Role, User
from peyvand.core.text import normalize_digits


class SignInForm(AuthenticationForm):
    """Django's form with the browser hints a password manager needs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django sets max_length after the field is built, so it is only an HTML hint;
        # an over-long name would reach authenticate() and overflow axes' attempt log.
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(getattr(username, "max_length", None) or 150))
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class OTPCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        # People type Persian digits on a Persian keyboard; the app shows Latin ones.
        code = normalize_digits(self.cleaned_data["code"]).replace(" ", "")
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(_("Enter the 6-digit code."))
        return code


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "name_fa", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True


PERMISSION_CHOICES = [
    (f"{ot.value}:{action.value}", f"{ot.label}: {action.label}")
    for ot in ObjectType
    for action in Action
]


class RoleForm(forms.ModelForm):
    """`grants` is the object type x action grid; it becomes the role's permissions JSON."""

    grants = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=PERMISSION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Role
        fields = ["code", "name", "name_fa", "scope", "is_manager"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.initial["grants"] = [
                f"{ot}:{action}"
                for ot, actions in (self.instance.permissions or {}).items()
                for action in actions
            ]

    def clean_grants(self) -> dict[str, list[str]]:
        chosen = set(self.cleaned_data["grants"])
        permissions: dict[str, list[str]] = {}
        for ot in ObjectType.values:
            actions = [a for a in Action.values if f"{ot}:{a}" in chosen]
            if actions:
                permissions[ot] = actions
        return permissions

    @property
    def grid_actions(self) -> list[str]:
        return [str(action.label) for action in Action]

    def grid(self) -> list[dict[str, Any]]:
        """Rows of the grid for the template: one per object type, one cell per action."""
        if self.is_bound:
            checked = set(self.data.getlist(self.add_prefix("grants")))  # type: ignore[attr-defined]
        else:
            checked = set(self.initial.get("grants", []))
        html_name = self.add_prefix("grants")
        return [
            {
                "label": ot.label,
                "cells": [
                    {
                        "value": f"{ot.value}:{action.value}",
                        "id": f"id_grant_{ot.value}_{action.value}",
                        "name": html_name,
                        "label": f"{ot.label}: {action.label}",
                        "checked": f"{ot.value}:{action.value}" in checked,
                    }
                    for action in Action
                ],
            }
            for ot in ObjectType
        ]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["permissions"] = data.pop("grants")
        return data


class _UserFieldsForm(forms.ModelForm):
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=Role.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class UserCreateForm(_UserFieldsForm):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "language",
            "departments",
            "roles",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(
                username=cleaned.get("username", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
                email=cleaned.get("email", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class UserEditForm(_UserFieldsForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "language",
            "is_active",
            "departments",
            "roles",
        ]


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "language"]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        required=False,
        help_text=_("What the token is for, e.g. the name of the integration."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one scope.")},
    )


class ManagerTokenForm(TokenForm):
    user = forms.ModelChoiceField(
        label=_("User"), queryset=User.objects.filter(is_active=True).order_by("username")
    )

    field_order = ["user", "name", "scopes"]
