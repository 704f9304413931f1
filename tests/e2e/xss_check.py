"""Load forum pages in Chromium with a trap that records any script a hostile input runs.

`XssWatch(browser)` opens a context; before any page script, an init script defines `xss(N)`
(what every vector in tests/xss_vectors.py calls) and wraps alert/confirm/prompt/print. Calls
go to Python through an exposed binding, so a hit survives the page navigating away. Dialogs,
page errors, console errors and `securitypolicyviolation` events are recorded too.

With `csp=False` the context bypasses the Content-Security-Policy, so the sanitizer is tested on
its own: a handler that slipped through would really run. With the CSP on, any violation still
counts as a failure: the CSP is the second line of defence, not the first.

After each load `visit()` also inspects the DOM (no on* attribute, no script-capable URL, no
element outside what the forum itself uses) and clicks every link whose URL is not http(s),
mailto or relative, so a surviving `javascript:` link would run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

TRAP = """
(() => {
  const report = (how, args) => {
    try { window.__xssReport(how, Array.from(args).map(String).join(','), String(location.href)); }
    catch (e) { /* the binding is always there; never let the trap throw */ }
  };
  const trap = (how) => function () { report(how, arguments); };
  Object.defineProperty(window, 'xss', { value: trap('xss'), writable: false });
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    try { window[name] = trap(name); } catch (e) { /* frozen in some frames */ }
  }
  document.addEventListener('securitypolicyviolation', (e) => {
    report('csp', [e.violatedDirective, e.blockedURI, e.sample]);
  }, true);
})();
"""

# What the DOM check looks for; the forum's own templates use none of it but its own images.
PROBE = """
() => {
  const found = [];
  const bad = /^\\s*(javascript|vbscript|data|livescript|mocha):/i;
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster',
                    'background', 'srcdoc', 'codebase', 'dynsrc', 'lowsrc'];
  const foreign = 'iframe,object,embed,frame,frameset,applet,base,svg,math,style,img,image,'
                + 'video,audio,source,input[autofocus],textarea[autofocus],select[autofocus],'
                + 'keygen,isindex,marquee,details[ontoggle],template,xss,x';
  for (const el of document.querySelectorAll('*')) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push('handler ' + el.tagName + ' ' + name);
      if (name === 'style' || name === 'popover' || name === 'contenteditable')
        found.push('attribute ' + el.tagName + ' ' + name);
      if (urlAttrs.includes(name) && bad.test(attr.value))
        found.push('url ' + el.tagName + ' ' + name + '=' + attr.value.slice(0, 60));
    }
  }
  // The forum's own pictures: generated avatars and the reaction icons, never inside text a
  // member wrote.
  const own = /^[/](avatars[/][\\w-]+[.]svg|static[/]icons[/][\\w.-]+[.]svg(#[\\w-]+)?)$/;
  const ownImage = (el) => el.tagName === 'IMG' && own.test(el.getAttribute('src') || '')
    && !el.closest('.post-body, .chat-text, .post-title, h1, h2, h3');
  for (const el of document.querySelectorAll(foreign)) {
    if (!ownImage(el)) found.push('element ' + el.tagName);
  }
  for (const el of document.querySelectorAll('script')) {
    const src = el.getAttribute('src') || '';
    if (!src.startsWith('/static/')) found.push('script ' + (src || el.textContent.slice(0, 60)));
  }
  for (const el of document.querySelectorAll('meta[http-equiv]')) found.push('meta refresh');
  for (const el of document.querySelectorAll('link')) {
    const href = el.getAttribute('href') || '';
    // The forum's own manifest, in the head: the one link not under /static/.
    const manifest = el.parentElement === document.head && el.rel === 'manifest'
      && /^\\/manifest\\.webmanifest(\\?lang=[a-z]{2})?$/.test(href);
    if (!href.startsWith('/static/') && !manifest) found.push('link ' + href.slice(0, 60));
  }
  let clicked = 0;
  for (const a of document.querySelectorAll('a[href], area[href]')) {
    const href = a.getAttribute('href');
    if (!/^(https?:|mailto:|\\/|#|\\?)/i.test(href) && !/^[\\w.~-]*([/?#]|$)/.test(href)) {
      found.push('link ' + href.slice(0, 60));
    }
    if (!/^(https?|mailto):$/.test(a.protocol)) { a.click(); clicked += 1; }
  }
  return { found, clicked };
}
"""

# Console noise that is not about scripts: a socket torn down by the next navigation, and a
# refused form's 4xx page (an element that loads a resource is caught by the DOM check).
_BENIGN_CONSOLE = ("WebSocket is closed before the connection is established",
                   "the server responded with a status of 4")


@dataclass
class XssWatch:
    """A browser context that records every sign of hostile script on the pages it visits."""

    browser: object
    csp: bool = True
    hits: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    pages_checked: int = 0

    def __post_init__(self) -> None:
        self.context = self.browser.new_context(
            viewport={"width": 1280, "height": 900}, bypass_csp=not self.csp
        )
        self.context.expose_binding("__xssReport", self._report)
        self.context.add_init_script(TRAP)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.hits.append(f"pageerror {exc}"))
        self.page.on("console", self._console)

    def _report(self, _source, how: str, args: str, where: str) -> None:
        self.hits.append(f"{how}({args}) at {where}")

    def _dialog(self, dialog) -> None:
        self.hits.append(f"dialog {dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message) -> None:
        if message.type == "error" and not any(b in message.text for b in _BENIGN_CONSOLE):
            self.hits.append(f"console error: {message.text[:200]}")

    def wait_for_hits(self, condition, timeout_ms: int = 5000) -> None:
        """Let the page run until condition(hits) holds: reports reach Python only while the
        page is being waited on, so this waits in short steps up to a deadline."""
        deadline = time.monotonic() + timeout_ms / 1000
        while not condition(self.hits) and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)

    def check_current(self, label: str = "") -> None:
        """Inspect the page as it is now (after a form submission, a socket update...)."""
        self.page.wait_for_load_state("load")
        result = self.page.evaluate(PROBE)
        where = label or self.page.url
        self.findings.extend(f"{where}: {item}" for item in result["found"])
        self.pages_checked += 1
        # A clicked javascript: link runs in a later task: give it time, then let any
        # navigation it caused finish.
        if result["clicked"]:
            self.page.wait_for_timeout(250)
            self.page.wait_for_load_state("load")

    def visit(self, url: str, *, settle_ms: int = 0) -> None:
        """Load a page once (it must be there: a 404 would hide what it should show), let it
        settle, and inspect it."""
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status < 400, (url, response and response.status)
        if settle_ms:
            self.page.wait_for_timeout(settle_ms)
        self.check_current(url)

    def assert_clean(self) -> None:
        """No script ran and nothing script-capable reached any page."""
        assert not self.hits, "script ran or was refused:\n" + "\n".join(self.hits[:50])
        assert not self.findings, "hostile markup survived:\n" + "\n".join(self.findings[:50])

    def close(self) -> None:
        """Close the context."""
        self.context.close()


def check_pages(browser, urls, *, csp: bool = False, login=None, settle_ms: int = 0) -> XssWatch:
    """Visit every URL in one context (logged in by `login(page)` first) and assert no script
    ran: the one call a new feature's test makes, e.g. meeting pages with hostile titles."""
    watch = XssWatch(browser, csp=csp)
    try:
        if login is not None:
            login(watch.page)
        for url in urls:
            watch.visit(url, settle_ms=settle_ms)
        watch.assert_clean()
    finally:
        watch.close()
    return watch
