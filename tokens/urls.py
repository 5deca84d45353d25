from django.urls import path

from . import console

app_name = "tokens"
urlpatterns = [
    path("console/", console.dashboard, name="dashboard"),
    path("console/families/<str:public_id>/", console.family_detail, name="family-detail"),
    path("console/families/<str:public_id>/revoke/", console.family_revoke, name="family-revoke"),
    path("console/security/authorization-servers/", console.server_list, name="server-list"),
    path("console/security/authorization-servers/<str:server_id>/rotate/", console.server_rotate, name="server-rotate"),
    path("console/system-log/", console.system_log, name="system-log"),
]
