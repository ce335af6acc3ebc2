"""Session endpoints under /api/v1/auth/ and the dashboard at every other path but the API,
the admin and static files (client-side routes fall back to the app)."""

from django.urls import path, re_path

from . import auth_api, views

urlpatterns = [
    path("api/v1/auth/login", auth_api.LoginView.as_view(), name="auth-login"),
    path("api/v1/auth/logout", auth_api.LogoutView.as_view(), name="auth-logout"),
    path("api/v1/auth/me", auth_api.MeView.as_view(), name="auth-me"),
    re_path(r"^(?!api/|api$|admin/|admin$|static/)(?P<path>.*)$", views.spa_index, name="dashboard"),
]
