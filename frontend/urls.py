"""The pages people open in a browser (included last by the root URLconf)."""

from django.urls import path

from .views import landing

urlpatterns = [
    path("", landing, name="landing"),
]
