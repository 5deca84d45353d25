"""Finding token families for the console: the global family search (/console/tokens/) and an app's Tokens tab.

Both page with core/console_paging.py over plain family rows and add each page's usage figures (last use,
rotations, grace uses) afterwards in one grouped query of that page's tokens, so a page never aggregates the
tokens of every family the filter matches.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q

from core.console_paging import Sort, keyset_page

from .models import RefreshToken, TokenFamily

SORTS = [
    Sort("created", "created", "Started", descending=True, newest_first=True),
    Sort("user", "user__username", "User"),
]


class FamilyFilterForm(forms.Form):
    """Filters of a family list; an invalid value is reported beside its field and that filter is ignored."""

    family = forms.CharField(label="Family ID", required=False, max_length=20, help_text="oar…")
    user = forms.CharField(label="User", required=False, max_length=150, help_text="User ID (00u…) or username.")
    app = forms.CharField(label="App", required=False, max_length=100, help_text="App ID (0oa…), client ID or label.")
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status")] + list(TokenFamily.Status.choices)
    )
    since = forms.DateTimeField(
        label="Started from (UTC)", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        label="Started to (UTC)", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, client=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        if client is not None:  # an app's Tokens tab: the app is given
            del self.fields["app"]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "'To' must be after 'From'.")
        return data

    def families(self):
        """The matching families (unordered; the pager orders them)."""
        qs = TokenFamily.objects.select_related("client", "user")
        if self.client is not None:
            qs = qs.filter(client=self.client)
        if not self.is_bound:
            return qs
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("family"):
            qs = qs.filter(public_id=data["family"].strip())
        if data.get("user"):
            term = data["user"].strip()
            User = get_user_model()
            users = User.objects.filter(Q(uid=term) | Q(username=term))
            if not users.exists():
                users = User.objects.filter(username__iexact=term)
            qs = qs.filter(user__in=users)
        if data.get("app"):
            term = data["app"].strip()
            qs = qs.filter(Q(client__public_id=term) | Q(client__client_id=term) | Q(client__name__iexact=term))
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("since"):
            qs = qs.filter(created__gte=data["since"])
        if data.get("until"):
            qs = qs.filter(created__lte=data["until"])
        return qs


def with_usage(rows: list[TokenFamily]) -> list[TokenFamily]:
    """Set `last_used`, `rotations` and `grace_uses` on each family, as tokens.reports.family_rows() annotates."""
    usage = {
        row["family_id"]: row
        for row in RefreshToken.objects.filter(family__in=[f.pk for f in rows])
        .values("family_id")
        .annotate(
            last_used=Max("last_used"),
            rotations=Count("id", filter=Q(origin="rotation")),
            grace_uses=Count("id", filter=Q(origin="grace")),
        )
        .order_by()
    }
    for family in rows:
        found = usage.get(family.pk, {})
        family.last_used = found.get("last_used")
        family.rotations = found.get("rotations", 0)
        family.grace_uses = found.get("grace_uses", 0)
    return rows


def family_page(request, *, client=None):
    """(form, page) of the request's filters, sort and cursor."""
    form = FamilyFilterForm(request.GET or None, client=client)
    page = keyset_page(request, form.families(), SORTS)
    with_usage(page.object_list)
    return form, page
