from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from therapia.accounts import notification_views, views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("two-factor/", views.two_factor_verify, name="two_factor"),
    path("two-factor/set-up/", views.enrol, name="enrol"),
    path("two-factor/backup-codes/", views.backup_codes, name="backup_codes"),
    path("confirm/", views.confirm, name="confirm"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/<uuid:public_id>/open/", notification_views.notification_open,
         name="notification_open"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_sent",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
