"""Sign-in signals: remember when the user authenticated (ID tokens carry it as `auth_time` and `max_age`
checks it), and log every sign-out, whichever view ends the session (the console's, the end users', and
/oauth2/v1/logout, which all call Django's logout())."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from core.systemlog.audit import SYSTEM, Audit

from . import signin


@receiver(user_logged_in)
def remember_auth_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session["auth_time"] = int(time.time())


@receiver(user_logged_out)
def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        signin.ended(user, audit=Audit.of(request) if request is not None else SYSTEM)
