from __future__ import annotations

from django.urls import path

from peyvand.access import views

app_name = "access"

urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("login/verify/", views.verify, name="verify"),
    path("logout/", views.sign_out, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/two-factor/", views.two_factor, name="two_factor"),
    path("profile/two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/departments/", views.department_list, name="department_list"),
    path("settings/departments/new/", views.department_edit, name="department_create"),
    path("settings/departments/<int:pk>/", views.department_edit, name="department_edit"),
    path("settings/roles/", views.role_list, name="role_list"),
    path("settings/roles/new/", views.role_edit, name="role_create"),
    path("settings/roles/<int:pk>/", views.role_edit, name="role_edit"),
    path("settings/roles/<int:pk>/delete/", views.role_delete, name="role_delete"),
    path("settings/users/", views.user_list, name="user_list"),
    path("settings/users/new/", views.user_create, name="user_create"),
    path("settings/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("settings/users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("settings/users/<int:pk>/password/", views.user_password, name="user_password"),
    path(
        "settings/users/<int:pk>/two-factor/reset/",
        views.user_reset_two_factor,
        name="user_reset_two_factor",
    ),
    path("settings/tokens/", views.token_list, name="token_list"),
]
