from django.urls import include, path

urlpatterns = [
    path("", include("tokens.urls")),
    path("", include("accounts.urls")),
    path("", include("clients.urls")),
]
