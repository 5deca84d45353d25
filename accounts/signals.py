"""Remember when the user authenticated: ID tokens carry it as `auth_time` and `max_age` checks it."""

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def remember_auth_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session["auth_time"] = int(time.time())
