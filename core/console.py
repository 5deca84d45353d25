"""The console's shared pieces: the staff-only decorator, the form page, the confirmation page and
confirm-then-act, and the shown-once values."""

import base64
import hashlib
import json
from functools import wraps

from cryptography.fernet import Fernet, InvalidToken
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse


def staff_required(view):
    """Console pages: signed-out visitors go to the console sign-in, signed-in non-staff get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:console-login"))
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied("The console is for administrators.")
        return view(request, *args, **kwargs)

    return wrapper


def token_families(count: int) -> str:
    """'1 token family', '3 token families': what a removal says it revokes, before and after."""
    return f"{count} token famil{'y' if count == 1 else 'ies'}"


def add_errors(form, errors: dict[str, list[str]]) -> None:
    """A service's refusal (its `errors` by field) beside the fields; one for a field the form lacks goes on top."""
    for field, field_errors in errors.items():
        for error in field_errors:
            form.add_error(field if field in form.fields else None, error)


def error_text(errors: dict[str, list[str]]) -> str:
    """A service's refusal as one message, for a page with no form to put it beside."""
    return " ".join(error for field_errors in errors.values() for error in field_errors)


def form_page(request, form, save, *, refusal: type[Exception], template: str, context: dict):
    """A console form's one view: a valid POST runs `save(form.cleaned_data)`, which returns the answer (a
    redirect); a `refusal` it raises (the service's rules, with `errors` by field) goes beside the fields and
    the page is shown again, 400 after a POST (a refused form is a client error, also for scripts and tests)."""
    if request.method == "POST" and form.is_valid():
        try:
            return save(form.cleaned_data)
        except refusal as exc:
            add_errors(form, exc.errors)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form, **context}, status=status)


def confirm_page(
    request, *, title, message, confirm_label, cancel_url, detail="", warning="", next_url="", danger=True
):
    """The plain confirmation page every destructive console action shows before its POST; `warning` is what
    this action would break right now, shown above the button."""
    ctx = {
        "title": title,
        "message": message,
        "detail": detail,
        "warning": warning,
        "confirm_label": confirm_label,
        "cancel_url": cancel_url,
        "next": next_url,
        "danger": danger,
    }
    return render(request, "console/confirm.html", ctx)


def confirm_then_act(request, act, **page):
    """A destructive action's one view: any method but POST shows `confirm_page(**page)`, whose POST runs `act()`.

    `act` does the work, adds its message and returns the response (usually a redirect), so a view states only
    what it does and what its confirmation says.
    """
    if request.method == "POST":
        return act()
    return confirm_page(request, **page)


def confirm_then_change(request, change, *, then: str, refusal: str = "", **page):
    """The usual destructive action: with a `refusal` (why it cannot happen now) back to `cancel_url` with
    that error; otherwise `confirm_then_act()`, whose POST runs `change()`, shows the message it returns and
    goes to `then`."""
    if refusal:
        messages.error(request, refusal)
        return redirect(page["cancel_url"])

    def act():
        messages.success(request, change())
        return redirect(then)

    return confirm_then_act(request, act, **page)


# A secret made by a POST is shown by the GET its redirect leads to, once: post/redirect/get, so a reload
# repeats nothing. It waits in the (database) session, under its own key, only until that GET takes it.
_ONCE = "console.once"


def _once_cipher(request) -> Fernet:
    """Fernet keyed by the session key itself. The session table holds only a digest of that key
    (core/sessions.py), so a value kept here cannot be read from a database dump, SECRET_KEY or not."""
    if request.session.session_key is None:
        request.session.save()
    digest = hashlib.sha256(f"rotor.console.once:{request.session.session_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def keep_once(request, key: str, value) -> None:
    """Keep `value` (a new client secret, an API token) for the next page that calls `take_once(key)`,
    encrypted: the session row is in the database until that page is shown."""
    sealed = _once_cipher(request).encrypt(json.dumps(value).encode()).decode("ascii")
    request.session[_ONCE] = request.session.get(_ONCE, {}) | {key: sealed}


def take_once(request, key: str):
    """The value `keep_once(key)` kept, removed from the session as it is read; None if there is none."""
    kept = request.session.get(_ONCE)
    if not kept or key not in kept:
        return None
    sealed = kept.pop(key)
    request.session[_ONCE] = kept
    try:
        return json.loads(_once_cipher(request).decrypt(sealed.encode("ascii")))
    except InvalidToken:  # the session key changed since (a new sign-in): the value is gone
        return None
