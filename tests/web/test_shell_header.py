"""The page header: Get help now always in the bar, never folded into the menu; the rest of the
links after the Menu button (which shows the unread count); a one-line duty note for phones
beside the full sentence; and the per-login scope that keeps drafts apart."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

from forum.models import Shift
from forum.services.review import duty
from tests.conftest import csrf_from, login, page_text
from tests.fixtures import review as review_support, threads as threads_support
from tests.fixtures.threads import client_for, new_reply, new_thread

board = threads_support.board
screener = threads_support.screener
fake_clock = review_support.fake_clock
VOID = {"meta", "link", "input", "br", "img", "hr", "source", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node] = []
        self.text = ""

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def ancestors(self) -> list[Node]:
        out, node = [], self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def all_text(self) -> str:
        return " ".join(" ".join(n.text for n in self.walk()).split())

    def find(self, tag: str, cls: str | None = None) -> list[Node]:
        return [n for n in self.walk() if n.tag == tag and (cls is None or cls in n.classes())]


class Tree(HTMLParser):
    """Just enough of a DOM to ask where an element sits."""

    def __init__(self, markup: str):
        super().__init__()
        self.root = self.current = Node("#root", {}, None)
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.text += data


def _header(markup: str) -> Node:
    headers = Tree(markup).root.find("header", "site-header")
    assert len(headers) == 1
    return headers[0]


def _link(header: Node, name: str) -> Node:
    found = [a for a in header.find("a") if a.all_text() == name]
    assert len(found) == 1, name
    return found[0]


def _check_shell(header: Node, in_menu: list[str]) -> tuple[Node, Node, Node]:
    """The bar's parts where they belong; returns the menu, the nav and Get help now."""
    menus = header.find("details", "site-menu")
    assert len(menus) == 1
    menu = menus[0]
    summary = menu.children[0]
    assert summary.tag == "summary" and summary.all_text().startswith("Menu")
    navs = header.find("nav", "account-nav")
    assert len(navs) == 1
    nav = navs[0]
    # The links follow the Menu button in the same bar: it is what shows or folds them.
    siblings = menu.parent.children
    assert nav.parent is menu.parent and siblings.index(nav) > siblings.index(menu)
    help_now = _link(header, "Get help now")
    assert help_now.attrs["href"] == "/crisis" and "help-now" in help_now.classes()
    assert help_now.parent is menu.parent and siblings.index(help_now) < siblings.index(menu)
    assert menu not in help_now.ancestors() and nav not in help_now.ancestors()
    for name in in_menu:
        assert nav in _link(header, name).ancestors(), name
    return menu, nav, help_now


def test_a_visitor_gets_help_in_the_bar_and_the_rest_in_the_menu(client):
    header = _header(page_text(client.get("/")))
    menu, _nav, _help = _check_shell(header, ["Search", "Meetings", "Log in", "Join"])
    assert "Talk to someone now" not in header.all_text()
    assert menu.find("span", "menu-badge") == []


def test_a_member_sees_unread_news_on_the_menu_button(app, board, member, second_member,
                                                      screener):
    client = client_for(app, member)
    header = _header(page_text(client.get("/")))
    menu, nav, _help = _check_shell(header, ["Search", "Meetings", "Moderators", "Notifications",
                                             "steady-heron"])
    assert menu.find("span", "menu-badge") == []
    logout = [f for f in nav.find("form") if f.attrs.get("action") == "/logout"]
    assert len(logout) == 1 and "data-drafts-clear" in logout[0].attrs
    assert logout[0].all_text() == "Log out"
    # Talk to someone now: its own link in the bar, folded with the menu on a phone.
    talk = _link(header, "Talk to someone now")
    assert talk.parent is menu.parent and nav not in talk.ancestors()
    assert talk.parent.children.index(talk) > talk.parent.children.index(menu)

    thread = new_thread(board, member, title="Morning pages").post.thread
    new_reply(thread, second_member, "Glad you are here.")
    new_reply(thread, second_member, "And again tomorrow.")
    header = _header(page_text(client.get("/")))
    menu, _nav, _help = _check_shell(header, ["Search"])
    badge = menu.find("span", "menu-badge")
    assert len(badge) == 1
    assert badge[0].all_text() == "2 2 new"  # the number seen, the words read out
    assert "2 unread" in _link(header, "Notifications 2 unread").all_text()

    spanish = _header(page_text(client.get("/", headers={"Accept-Language": "es"})))
    summary = spanish.find("summary", "site-menu-button")[0]
    assert summary.all_text() == "Menú 2 2 nuevas"
    assert _link(spanish, "Pide ayuda ahora").parent is summary.parent.parent


def test_staff_links_are_in_the_menu_and_help_stays_out(app, trained_moderator, admin,
                                                       facilitator):
    for user, extra in ((trained_moderator, ["Review"]), (admin, ["Review"]),
                        (facilitator, ["Support requests"])):
        header = _header(page_text(client_for(app, user).get("/")))
        _check_shell(header, ["Search", "Meetings", "Notifications", user.pseudonym, *extra])


def test_the_duty_line_has_a_short_form_beside_the_sentence(app, db, member, fake_clock):
    client = client_for(app, member)
    header = _header(page_text(client.get("/")))
    line = header.find("p", "duty-status")[0]
    assert line.attrs["role"] == "status"
    assert line.find("span", "duty-long")[0].all_text() == "No moderator is on duty right now."
    short = line.find("span", "duty-short")[0]
    assert short.attrs["aria-hidden"] == "true" and short.all_text() == "No moderator on duty"

    # A shift later today: the short line names only the time; another day keeps the date.
    now = fake_clock.at.replace(hour=9, minute=0)
    fake_clock.at = now
    db.session.add(Shift(starts_at=now + timedelta(hours=9), ends_at=now + timedelta(hours=12)))
    db.session.commit()
    duty._forget_header_status()
    line = _header(page_text(client.get("/"))).find("p", "duty-status")[0]
    assert line.find("span", "duty-short")[0].all_text() == "No moderator on duty · next 18:00"
    assert "The next shift starts " + (now + timedelta(hours=9)).strftime("%Y-%m-%d 18:00") in (
        line.find("span", "duty-long")[0].all_text())
    fake_clock.at = now - timedelta(days=1)
    duty._forget_header_status()
    line = _header(page_text(client.get("/"))).find("p", "duty-status")[0]
    assert line.find("span", "duty-short")[0].all_text() == (
        "No moderator on duty · next " + (now + timedelta(hours=9)).strftime("%Y-%m-%d 18:00"))


def _scope(markup: str) -> str | None:
    found = re.search(r'<body[^>]*\sdata-draft-scope="([^"]*)"', markup)
    return found.group(1) if found else None


def test_drafts_are_scoped_per_login_and_never_for_visitors(app, client, member, second_member):
    assert _scope(page_text(client.get("/"))) is None
    login(client, member)
    first = _scope(page_text(client.get("/")))
    assert first and re.fullmatch(r"[0-9a-f]{16}", first)
    assert first == _scope(page_text(client.get("/meetings")))  # steady for the session
    assert str(member.id) not in first and member.pseudonym not in first
    assert first != _scope(page_text(client_for(app, second_member).get("/")))
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    assert _scope(page_text(client.get("/"))) is None
    login(client, member)
    # A new login, a new scope: a draft kept before log-out is never offered again.
    assert _scope(page_text(client.get("/"))) not in (None, first)
