"""The console on a phone (390 × 844) and with a keyboard, in real headless Chromium against a real gunicorn.

Every console page, filled with realistic data (tests/browser/seed.py), must fit the phone's width (wide
tables and the dashboard's chart scroll inside their own labelled, focusable regions), keep its chart text
legible, start with a "Skip to content" link and mark the current navigation item and tab with
aria-current. The navigation collapses behind a button on a phone, and stays reachable without JavaScript.
Screenshots of a few pages at 390 px are saved under tests/artifacts/screenshots/ for review.
"""

import uuid
from urllib.parse import urlencode

import pytest

from tests.kit.live import ARTIFACTS

pytestmark = [pytest.mark.live, pytest.mark.browser]

SHOTS = ARTIFACTS / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ADMIN_PASSWORD = "console admin password 1"

# The elements a keyboard user can Tab to, in document order (visible ones only are kept, below).
FOCUSABLE = (
    "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), "
    "textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])"
)


@pytest.fixture(scope="module")
def console(chromium, live, django_db_blocker):
    """An admin signed in once (its cookies are reused by every tab), the seeded data, and one URL of each
    console page: the lists, a real app's, user's and family's pages, the create forms, the confirmations."""
    from accounts.services import create_user, deactivate_user
    from tests.browser.seed import seed

    tag = uuid.uuid4().hex[:8]
    with django_db_blocker.unblock():
        admin = create_user(
            username=f"phone-admin-{tag}@example.com",
            email=f"phone-admin-{tag}@example.com",
            first_name="Pat",
            last_name="Phone",
            password=ADMIN_PASSWORD,
            is_staff=True,
        )
        data = seed(tag, admin)
        from accounts.services import create_api_token

        api_token, _ = create_api_token(admin, f"Phone {tag}")
        gone = data["people"][3]
        deactivate_user(gone)
        data["server"] = _authorization_server(tag, data)
        data["server_pages"] = _server_pages(data, data["people"][0])
        from django.db import connections

        connections.close_all()
    context = chromium.new_context(viewport=DESKTOP, base_url=live.url)
    page = context.new_page()
    page.goto("/console/login/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/console/")
    state = context.storage_state()
    context.close()

    spa, web, person, family = data["spa"], data["web"], data["people"][0], data["families"][0]
    # (URL, the navigation item marked current, the app tab marked current)
    pages = [
        ("/console/", "Dashboard", None),
        ("/console/apps/", "Applications", None),
        ("/console/apps/?q=zzz-nothing", "Applications", None),
        ("/console/apps/new/", "Applications", None),
        ("/console/apps/new/browser/", "Applications", None),
        ("/console/apps/new/web/", "Applications", None),
        (f"/console/apps/{spa.public_id}/", "Applications", "General"),
        (f"/console/apps/{web.public_id}/", "Applications", "General"),
        (f"/console/apps/{data['service'].public_id}/", "Applications", "General"),
        (f"/console/apps/{data['old'].public_id}/", "Applications", "General"),
        (f"/console/apps/{spa.public_id}/edit/", "Applications", "General"),
        (f"/console/apps/{spa.public_id}/tokens/", "Applications", "Tokens"),
        (f"/console/apps/{web.public_id}/tokens/", "Applications", "Tokens"),
        (f"/console/apps/{web.public_id}/secret/", "Applications", None),
        (f"/console/apps/{spa.public_id}/deactivate/", "Applications", None),
        (f"/console/apps/{data['old'].public_id}/delete/", "Applications", None),
        (f"/console/apps/{spa.public_id}/tokens/revoke/", "Applications", None),
        (f"/console/families/{data['victim'].public_id}/", "Applications", None),
        (f"/console/families/{family.public_id}/", "Applications", None),
        (f"/console/families/{family.public_id}/revoke/", "Applications", None),
        ("/console/users/", "Users", None),
        ("/console/users/new/", "Users", None),
        (f"/console/users/{person.uid}/", "Users", None),
        (f"/console/users/{admin.uid}/", "Users", None),
        (f"/console/users/{person.uid}/deactivate/", "Users", None),
        (f"/console/users/{gone.uid}/delete/", "Users", None),
        (f"/console/users/{person.uid}/edit/", "Users", None),
        (f"/console/users/{person.uid}/password/", "Users", None),
        (f"/console/users/{person.uid}/sign-out/", "Users", None),
        (f"/console/users/{person.uid}/revoke-tokens/", "Users", None),
        ("/console/tokens/", "Applications", None),
        ("/console/tokens/?status=REVOKED", "Applications", None),
        ("/console/security/authorization-servers/", "Authorization servers", None),
        ("/console/security/authorization-servers/default/rotate/", "Authorization servers", None),
        *data["server_pages"],
        ("/console/security/api-tokens/", "API tokens", None),
        (f"/console/security/api-tokens/{api_token.pk}/revoke/", "API tokens", None),
        ("/console/system-log/", "System log", None),
        ("/console/system-log/?event_type=app.oauth2.as.token.detect_reuse", "System log", None),
    ]
    return {"state": state, "pages": pages, "data": data, "admin": admin}


def _authorization_server(tag: str, data: dict):
    """A custom server with what its tabs list: a custom scope, two claims, two policies, rules with long names."""
    from tokens.servers import services

    server = services.create_server({"name": f"Orders API {tag}", "audiences": [f"api://orders-{tag}"]})
    services.create_scope(server, {"name": "orders:read", "description": "Read your orders", "default": True})
    services.create_claim(server, {"name": "tier", "claim_type": "RESOURCE", "value": '"gold"'})
    services.create_claim(
        server,
        {"name": "email_address", "claim_type": "IDENTITY", "value": "user.email", "conditions_scopes": ["email"]},
    )
    web = services.create_policy(server, {"name": "Web apps", "clients_include": [data["web"].client_id]})
    services.create_policy(server, {"name": "Everyone else", "clients_include": ["ALL_CLIENTS"]})
    services.create_rule(
        web,
        {
            "name": "People signing in from the web with refresh tokens",
            "grant_types": ["authorization_code", "refresh_token"],
            "scopes": ["openid", "offline_access", "orders:read"],
            "users_include": [data["people"][0].uid],
            "refresh_token_lifetime_minutes": 43200,
        },
    )
    services.create_rule(web, {"name": "Machines", "grant_types": ["client_credentials"], "scopes": ["*"]})
    return server


def _server_pages(data: dict, person) -> list[tuple[str, str, str | None]]:
    """A custom server's tabs, forms and confirmations, and a Token Preview with its result."""
    server = data["server"]
    base = f"/console/security/authorization-servers/{server.id}"
    policy = server.policies.order_by("priority").first()
    rule = policy.rules.order_by("priority").first()
    scope = server.scopes.get(name="orders:read")
    claim = server.claims.get(name="tier")
    query = {
        "client": data["web"].client_id,
        "grant_type": "authorization_code",
        "user": person.username,
        "scopes": ["openid", "email", "offline_access", "orders:read"],
    }
    preview = f"{base}/preview/?{urlencode(query, doseq=True)}"
    nav = "Authorization servers"
    return [
        ("/console/security/authorization-servers/new/", nav, None),
        (f"{base}/", nav, "Settings"),
        (f"{base}/edit/", nav, "Settings"),
        (f"{base}/rotate/", nav, None),
        (f"{base}/deactivate/", nav, None),
        (f"{base}/scopes/", nav, "Scopes"),
        (f"{base}/scopes/new/", nav, "Scopes"),
        (f"{base}/scopes/{scope.id}/edit/", nav, "Scopes"),
        (f"{base}/claims/", nav, "Claims"),
        (f"{base}/claims/new/", nav, "Claims"),
        (f"{base}/claims/{claim.id}/edit/", nav, "Claims"),
        (f"{base}/policies/", nav, "Access Policies"),
        (f"{base}/policies/new/", nav, "Access Policies"),
        (f"{base}/policies/{policy.id}/edit/", nav, "Access Policies"),
        (f"{base}/policies/{policy.id}/rules/new/", nav, "Access Policies"),
        (f"{base}/policies/{policy.id}/rules/{rule.id}/edit/", nav, "Access Policies"),
        (f"{base}/policies/{policy.id}/rules/{rule.id}/delete/", nav, None),
        (f"{base}/preview/", nav, "Token Preview"),
        (preview, nav, "Token Preview"),
        ("/console/security/authorization-servers/org/", nav, "Settings"),
        ("/console/security/authorization-servers/org/policies/", nav, "Access Policies"),
    ]


def new_page(chromium, live, console, viewport=PHONE, **options):
    context = chromium.new_context(viewport=viewport, base_url=live.url, storage_state=console["state"], **options)
    return context.new_page()


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert page.url.endswith(url), f"{url} redirected to {page.url}"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def overflow(page) -> dict:
    """How far the page is wider than the window, and the widest elements sticking out of it (for the message)."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            const culprits = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 0.5)
                .filter(el => !el.closest('[role=region]') || el.matches('[role=region]'))
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.getAttribute('class') ? '.' + el.getAttribute('class') : '')
                           + ' right=' + Math.round(el.getBoundingClientRect().right));
            return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, culprits};
        }"""
    )


def test_no_console_page_scrolls_sideways_on_a_phone(chromium, live, console):
    """At 390 × 844 no page is wider than the window: wide content scrolls inside its own region."""
    page = new_page(chromium, live, console)
    data = console["data"]
    screenshots = {  # for a reviewer: a few pages at phone width, full page
        "/console/": "dashboard-390",
        f"/console/apps/{data['spa'].public_id}/tokens/": "app-tokens-390",
        f"/console/apps/{data['web'].public_id}/": "app-general-390",
        f"/console/families/{data['victim'].public_id}/": "family-390",
        "/console/system-log/": "system-log-390",
        f"/console/security/authorization-servers/{data['server'].id}/policies/": "server-policies-390",
        data["server_pages"][14][0]: "server-rule-form-390",
        data["server_pages"][18][0]: "server-token-preview-390",
    }
    too_wide = []
    for url, _nav, _tab in console["pages"]:
        visit(page, url)
        found = overflow(page)
        if found["scrollWidth"] > found["innerWidth"]:
            too_wide.append((url, found))
        if url in screenshots:
            shot(page, screenshots[url])
    # The system log with an event opened: its JSON scrolls in its own box.
    page.locator("details.event summary").first.click()
    found = overflow(page)
    if found["scrollWidth"] > found["innerWidth"]:
        too_wide.append(("system log, an event opened", found))
    assert too_wide == []
    page.context.close()


def test_wide_tables_and_the_chart_scroll_in_labelled_focusable_regions(chromium, live, console):
    """Each table (and the dashboard's chart) sits in a region a keyboard can reach and scroll: tabindex 0,
    role region and a name; a region whose content is wider than it shows that it scrolls (edge shadows)."""
    page = new_page(chromium, live, console)
    checked, scrolling, problems = 0, 0, []
    for url, _nav, _tab in console["pages"]:
        visit(page, url)
        for item in page.evaluate(
            """() => [...document.querySelectorAll('main table, main .chart svg')].map(el => {
                const region = el.closest('[role=region]');
                if (!region) return {what: el.tagName, region: null};
                const style = getComputedStyle(region);
                return {
                    what: el.tagName,
                    region: true,
                    tabindex: region.getAttribute('tabindex'),
                    label: region.getAttribute('aria-label') || '',
                    scrolls: region.scrollWidth > region.clientWidth,
                    overflowX: style.overflowX,
                    cue: style.backgroundImage.includes('gradient') && style.backgroundAttachment.includes('local'),
                };
            })"""
        ):
            checked += 1
            if not item["region"]:
                problems.append((url, item["what"], "not in a region"))
                continue
            if item["tabindex"] != "0" or not item["label"].strip() or item["overflowX"] != "auto":
                problems.append((url, item))
            if item["scrolls"]:
                scrolling += 1
                if not item["cue"]:
                    problems.append((url, item, "scrolls without a visible cue"))
    assert problems == []
    assert checked >= 15 and scrolling >= 3  # the seeded tables are wider than a phone: the regions do scroll

    # A keyboard user scrolls a region with the arrow keys once it has focus.
    visit(page, f"/console/apps/{console['data']['spa'].public_id}/tokens/")
    region = page.locator("main [role=region]").first
    region.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    region.evaluate(  # Chromium scrolls smoothly: wait for the scroll (at most 3 s)
        "el => new Promise(done => { el.scrollLeft > 0 ? done() : el.addEventListener('scroll', done);"
        " setTimeout(done, 3000); })"
    )
    assert region.evaluate("el => el.scrollLeft") > 0
    assert region.evaluate("el => getComputedStyle(el).outlineStyle") != "none"  # focus is visible
    page.context.close()


def test_chart_text_is_legible_on_a_phone(chromium, live, console):
    """SVG text scales with its viewBox; on a phone every shown label still renders at 11 px or more."""
    page = new_page(chromium, live, console)
    sizes = {}
    for url in ("/console/", f"/console/families/{console['data']['victim'].public_id}/"):
        visit(page, url)
        sizes[url] = page.evaluate(
            """() => [...document.querySelectorAll('main svg text')]
                .filter(t => t.getClientRects().length && getComputedStyle(t).display !== 'none')
                .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""
        )
    assert len(sizes["/console/"]) >= 8  # the dashboard's hour labels are shown (each chart has its own)
    small = {url: [round(s, 1) for s in found if s < 11] for url, found in sizes.items()}
    assert small == {url: [] for url in sizes}
    page.context.close()


def test_skip_link_comes_first_and_moves_focus_to_the_content(chromium, live, console):
    page = new_page(chromium, live, console)
    for url, _nav, _tab in console["pages"]:
        visit(page, url)
        first = page.evaluate(
            """(selector) => {
                const el = [...document.querySelectorAll(selector)].find(e => e.getClientRects().length
                    || e.classList.contains('skip-link'));
                return el ? {text: el.textContent.trim(), href: el.getAttribute('href')} : null;
            }""",
            FOCUSABLE,
        )
        assert first == {"text": "Skip to content", "href": "#content"}, url
    page.keyboard.press("Tab")
    link = page.locator(":focus")
    assert link.inner_text() == "Skip to content"
    box = link.bounding_box()
    assert box and box["width"] > 0 and box["y"] >= 0 and box["x"] >= 0  # shown while it has focus
    shot(page, "skip-link-focused-390")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    page.keyboard.press("Tab")  # the next stop is inside the content, past the navigation
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    page.context.close()


def test_current_navigation_item_and_tab_are_marked(chromium, live, console):
    page = new_page(chromium, live, console, viewport=DESKTOP)
    wrong = []
    for url, nav, tab in console["pages"]:
        visit(page, url)
        current = page.evaluate(
            """() => ({
                nav: [...document.querySelectorAll('header nav [aria-current]')]
                    .map(a => [a.textContent.trim(), a.getAttribute('aria-current')]),
                tab: [...document.querySelectorAll('main nav.tabs [aria-current]')]
                    .map(a => [a.textContent.trim(), a.getAttribute('aria-current')]),
            })"""
        )
        expected = {"nav": [[nav, "page"]], "tab": [[tab, "page"]] if tab else []}
        if current != expected:
            wrong.append((url, current, expected))
    assert wrong == []
    page.context.close()


def test_navigation_collapses_behind_a_button_on_a_phone(chromium, live, console):
    page = new_page(chromium, live, console)
    visit(page, "/console/apps/")
    toggle = page.get_by_role("button", name="Menu")
    nav_link = page.get_by_role("navigation", name="Console").get_by_role("link", name="System log")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    assert toggle.get_attribute("aria-controls") == page.locator("#" + toggle.get_attribute("aria-controls")).evaluate(
        "el => el.id"
    )
    assert nav_link.is_hidden()
    assert page.get_by_role("button", name="Sign out").is_hidden()  # with the rest of the menu
    shot(page, "apps-390")

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav_link.is_visible() and page.get_by_role("button", name="Sign out").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "apps-menu-open-390")
    page.keyboard.press("Escape")  # closes it and gives focus back to the button
    assert toggle.get_attribute("aria-expanded") == "false" and nav_link.is_hidden()
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')") == toggle.get_attribute(
        "aria-controls"
    )
    toggle.press("Enter")  # a keyboard opens it too
    assert toggle.get_attribute("aria-expanded") == "true"
    nav_link.click()
    page.wait_for_url("**/console/system-log/")
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "false"
    page.context.close()


def test_desktop_layout_shows_the_navigation_without_a_button(chromium, live, console):
    page = new_page(chromium, live, console, viewport=DESKTOP)
    visit(page, "/console/")
    assert page.get_by_role("button", name="Menu").is_hidden()
    nav = page.get_by_role("navigation", name="Console")
    for name in ("Dashboard", "Applications", "Users", "Authorization servers", "API tokens", "System log"):
        assert nav.get_by_role("link", name=name).is_visible(), name
    # One row: the links side by side in the top bar, beside the brand and the sign-out button.
    tops = {round(box["y"]) for box in (link.bounding_box() for link in nav.get_by_role("link").all())}
    assert len(tops) == 1
    assert page.locator("header").bounding_box()["height"] < 70
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.context.close()


def test_navigation_is_reachable_without_javascript_on_a_phone(chromium, live, console):
    page = new_page(chromium, live, console, java_script_enabled=False)
    visit(page, "/console/users/")
    assert page.get_by_role("button", name="Menu").is_hidden()  # it could not open anything
    nav = page.get_by_role("navigation", name="Console")
    for name in ("Dashboard", "Applications", "Users", "Authorization servers", "API tokens", "System log"):
        assert nav.get_by_role("link", name=name).is_visible(), name
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "users-no-js-390")
    page.context.close()
