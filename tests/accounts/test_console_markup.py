"""Console pages: every form control has a label, and every POST form carries a CSRF token."""

from html.parser import HTMLParser

import pytest

from tests.kit.console import make_family


class FormAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.controls: list[tuple[str, dict, bool]] = []  # (tag, attrs, inside a label)
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "csrf": False})
        elif tag in ("input", "select", "textarea"):
            if attrs.get("name") == "csrfmiddlewaretoken" and self.forms:
                self.forms[-1]["csrf"] = True
            if attrs.get("type") not in ("hidden", "submit"):
                self.controls.append((tag, attrs, self.label_depth > 0))

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth -= 1


@pytest.fixture
def pages(confidential_app, public_app, end_user):
    family, _, _ = make_family(public_app, end_user, rotations=1)
    return [
        "/console/",
        "/console/apps/",
        "/console/apps/new/",
        "/console/apps/new/web/",
        "/console/apps/new/browser/",
        "/console/apps/new/native/",
        "/console/apps/new/service/",
        f"/console/apps/{confidential_app.public_id}/",
        f"/console/apps/{confidential_app.public_id}/edit/",
        f"/console/apps/{public_app.public_id}/edit/",
        f"/console/apps/{public_app.public_id}/tokens/",
        f"/console/apps/{confidential_app.public_id}/secret/",
        f"/console/families/{family.public_id}/",
        f"/console/families/{family.public_id}/revoke/",
        "/console/users/",
        "/console/users/new/",
        f"/console/users/{end_user.uid}/",
        "/console/security/authorization-servers/",
        "/console/security/api-tokens/",
        "/console/system-log/",
    ]


def test_every_control_has_a_label_and_every_post_form_a_csrf_token(console_client, pages):
    checked = 0
    for url in pages:
        response = console_client.get(url)
        assert response.status_code == 200, url
        audit = FormAudit()
        audit.feed(response.content.decode())
        for tag, attrs, wrapped in audit.controls:
            assert wrapped or attrs.get("id") in audit.label_for, f"{url}: unlabelled {tag} {attrs}"
            checked += 1
        for form in audit.forms:
            assert form["method"] == "get" or form["csrf"], f"{url}: POST form without CSRF token"
    assert checked > 60  # the audit saw the forms' controls


def test_sign_in_page_controls_are_labelled(client, db):
    audit = FormAudit()
    audit.feed(client.get("/console/login/").content.decode())
    assert {attrs["id"] for _, attrs, _ in audit.controls} <= audit.label_for
