"""The admin site: a password and a TOTP code (django-otp), the address in its one spelling."""

from __future__ import annotations

from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from xuala.accounts.signin import username_normalise


class AdminSignInForm(OTPAdminAuthenticationForm):
    def clean_username(self) -> str:
        return username_normalise(self.cleaned_data.get("username"))


class XualaAdminSite(OTPAdminSite):
    login_form = AdminSignInForm
