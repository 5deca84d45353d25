"""/demo/ (config/urls.py includes these only when settings.ROTOR_DEMO is on)."""

from django.urls import path

from . import views

app_name = "demo"

urlpatterns = [
    path("", views.page, name="home"),
    path("callback", views.page, name="callback"),
]
