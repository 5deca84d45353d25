from rest_framework.permissions import BasePermission

from .errors import NoPermission


class IsAdmin(BasePermission):
    """Only an admin's API token may use the management API (Okta E0000006 otherwise)."""

    def has_permission(self, request, view):
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False  # DRF answers NotAuthenticated, which becomes E0000011
        if not (user.is_staff or user.is_superuser):
            raise NoPermission()
        return True
