"""A corpus of well-known XSS vectors, each calling a unique trap `xss(N)` if it ever runs.

Templates use `$X` for the call; `build()` numbers them, so a recorded call names the vector
that got through. Classes: script tags, event handlers, javascript:/data:/vbscript: URLs, SVG and
MathML, broken and nested tags, encodings, CSS, Markdown syntax, attribute breakouts, and
template-ish payloads. Every vector is at most 200 characters (a thread title's limit).
"""

from __future__ import annotations

from dataclasses import dataclass


def _ent_dec(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def _ent_hex(text: str) -> str:
    return "".join(f"&#x{ord(c):x};" for c in text)


def _ent_pad(text: str) -> str:
    return "".join(f"&#0000{ord(c)}" for c in text)


def _pct(text: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in text)


_SCRIPT = [
    "<script>$X</script>",
    "<SCRIPT>$X</SCRIPT>",
    "<ScRiPt>$X</sCrIpT>",
    "<script type=module>$X</script>",
    "<script>/*</script><script>*/$X</script>",
    "<scr<script>ipt>$X</scr</script>ipt>",
    "<<script>script>$X<</script>/script>",
    "<script\x00>$X</script>",
    "<scr\x00ipt>$X</scr\x00ipt>",
    "<script/xss>$X</script>",
    "<script\n>$X</script\n>",
    "<script>$X",
    "</title><script>$X</script>",
    "</textarea><script>$X</script>",
    "</style><script>$X</script>",
    "--></script><script>$X</script>",
    "\"><script>$X</script>",
    "'><script>$X</script>",
    "<svg><script>$X</script></svg>",
    "<svg><script href=data:,$X />",
    "<math><script>$X</script></math>",
    "<template><script>$X</script></template>",
    "<noscript><p title=\"</noscript><script>$X</script>\">",
    "<![CDATA[<script>$X</script>]]>",
    "<!--<script>$X</script>-->",
    "<!--><script>$X</script>-->",
    "<?xml version=\"1.0\"?><script>$X</script>",
    "<script src=\"data:text/javascript,$X\"></script>",
]

_HANDLERS = [
    "<img src=x onerror=$X>",
    "<IMG SRC=x OnErRoR=$X>",
    "<img src=x onerror=\"$X\">",
    "<img src=x onerror='$X'>",
    "<img src=x onerror=`$X`>",
    "<img/src=x/onerror=$X>",
    "<img src=x\nonerror=$X>",
    "<img src=x\tonerror=$X>",
    "<img src=x onerror\n=\n$X>",
    "<img src=x:x onerror=$X//",
    "<img src onerror=$X>",
    "<img src=\"x\" alt=\"\"onerror=\"$X\">",
    "<image src=x onerror=$X>",
    "<svg onload=$X>",
    "<svg/onload=$X>",
    "<SVG ONLOAD=$X>",
    "<svg><animate onbegin=$X attributeName=x dur=1s>",
    "<svg><set onbegin=$X attributeName=x to=1>",
    "<body onload=$X>",
    "<body onpageshow=$X>",
    "<iframe onload=$X>",
    "<iframe src=x onerror=$X>",
    "<input autofocus onfocus=$X>",
    "<input onblur=$X autofocus><input autofocus>",
    "<select autofocus onfocus=$X>",
    "<textarea autofocus onfocus=$X>",
    "<keygen autofocus onfocus=$X>",
    "<details open ontoggle=$X>",
    "<marquee onstart=$X>x</marquee>",
    "<video><source onerror=$X></video>",
    "<video src=x onerror=$X>",
    "<audio src=x onerror=$X>",
    "<object data=x onerror=$X>",
    "<embed src=x onerror=$X>",
    "<style onload=$X></style>",
    "<link rel=stylesheet href=x onerror=$X>",
    "<a href=# onclick=$X>click</a>",
    "<a onmouseover=$X>hover</a>",
    "<div onpointerover=$X>hover</div>",
    "<p onclick=$X>text</p>",
    "<x onclick=$X>custom</x>",
    "<xss id=x tabindex=1 onfocus=$X autofocus>",
    "<div contenteditable onfocus=$X autofocus>x</div>",
    "<form><button formaction=javascript:$X>go</button></form>",
    "<form onsubmit=$X><button>go</button></form>",
    "<isindex type=image src=1 onerror=$X>",
    "<table background=x onerror=$X>",
    "<img src=x onerror=$X<b>x</b>",
    "<a href=\"https://ok.example\" onclick=\"$X\">x</a>",
    "<a href=\"https://ok.example\" onmouseover=$X>hover</a>",
    "<img src=x onerror=&#x61;lert(1)&#x3b;$X>",
    "<img src=x onerror=\\u0078ss(1)>$X",
]

_URLS = [
    "<a href=\"javascript:$X\">x</a>",
    "<a href=javascript:$X>x</a>",
    "<a href=\"JaVaScRiPt:$X\">x</a>",
    "<a href=\" javascript:$X\">x</a>",
    "<a href=\"java\tscript:$X\">x</a>",
    "<a href=\"java\nscript:$X\">x</a>",
    "<a href=\"java&#x09;script:$X\">x</a>",
    "<a href=\"&#14;javascript:$X\">x</a>",
    "<a href=\"" + _ent_dec("javascript:") + "$X\">x</a>",
    "<a href=\"" + _ent_hex("javascript:") + "$X\">x</a>",
    "<a href=\"" + _ent_pad("javascript:") + "$X\">x</a>",
    "<a href=\"javascript&colon;$X\">x</a>",
    "<a href=\"vbscript:$X\">x</a>",
    "<a href=\"data:text/html,<script>$X</script>\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD54c3MoMSk8L3NjcmlwdD4=\">$X</a>",
    "<iframe src=\"javascript:$X\"></iframe>",
    "<iframe src=\"data:text/html,<script>$X</script>\"></iframe>",
    "<iframe srcdoc=\"<script>parent.$X</script>\"></iframe>",
    "<object data=\"javascript:$X\"></object>",
    "<embed src=\"javascript:$X\">",
    "<img src=\"javascript:$X\">",
    "<form action=\"javascript:$X\"><button>go</button></form>",
    "<math><a xlink:href=\"javascript:$X\">m</a></math>",
    "<math href=\"javascript:$X\">m</math>",
    "<svg><a xlink:href=\"javascript:$X\"><text x=9 y=9>s</text></a></svg>",
    "<svg><a href=\"javascript:$X\"><text x=9 y=9>s</text></a></svg>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' onload='$X'/>#x\"/></svg>",
    "<base href=\"javascript:$X//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:$X\">",
    "<a href=\"%6A%61%76%61%73%63%72%69%70%74:$X\">x</a>",
    "<a href=\"javascript:" + _pct("$X") + "\">x</a>",
    "<a href=\"javas\x00cript:$X\">x</a>",
]

_MARKDOWN = [
    "[click](javascript:$X)",
    "[click](JAVASCRIPT:$X)",
    "[click](javascript&colon;$X)",
    "[click](&#106;avascript:$X)",
    "[click](java\tscript:$X)",
    "[click](  javascript:$X  )",
    "[click](<javascript:$X>)",
    "[click](javascript:$X \"title\")",
    "[click](data:text/html,<script>$X</script>)",
    "[click](vbscript:$X)",
    "[ref]\n\n[ref]: javascript:$X",
    "[ref][r]\n\n[r]: <javascript:$X> \"t\"",
    "![img](javascript:$X)",
    "![img](x \"onerror=$X\")",
    "![x\" onerror=\"$X](x)",
    "<javascript:$X>",
    "<https://ok.example/\" onmouseover=\"$X>",
    "[x](https://ok.example/\"onmouseover=\"$X)",
    "[x](https://ok.example/'onclick='$X)",
    "[<img src=x onerror=$X>](https://ok.example)",
    "[x](https://ok.example \"<img src=x onerror=$X>\")",
    "`<script>$X</script>`",
    "`<img src=x onerror=$X>`",
    "```\n<script>$X</script>\n```",
    "```html\n</code><script>$X</script>\n```",
    "    <script>$X</script>",
    "> <img src=x onerror=$X>",
    "* <script>$X</script>\n* two",
    "1. <svg onload=$X>",
    "# <img src=x onerror=$X>",
    "**<img src=x onerror=$X>**",
    "_<svg onload=$X>_",
    "https://ok.example/<img src=x onerror=$X>",
    "www.ok.example/\"><svg onload=$X>",
    "<a href=\"https://ok.example\">[x](javascript:$X)</a>",
    "\\<script>$X\\</script>",
]

_CSS = [
    "<style>@import 'javascript:$X';</style>",
    "<style>body{background:url(\"javascript:$X\")}</style>",
    "<style>*{x:expression($X)}</style>",
    "<div style=\"width:expression($X)\">e</div>",
    "<p style=\"background:url(javascript:$X)\">s</p>",
    "<div style=\"behavior:url(x.htc)\" onclick=$X>b</div>",
    "<div style=\"-moz-binding:url(x.xml#x)\" onmouseover=$X>m</div>",
    "<link rel=stylesheet href=\"javascript:$X\">",
    "<style>@import url(data:text/css,*{x:expression($X)})</style>",
    "<style>li{list-style-image:url(\"javascript:$X\")}</style><ul><li>x</li></ul>",
    "<div style=\"position:fixed;inset:0\" onmousemove=$X>overlay</div>",
    "<img style=\"xss:expr/**/ession($X)\">",
    "<svg><style>@import'x'</style><image href=x onerror=$X></svg>",
]

_BROKEN = [
    "<img src=x onerror=$X",
    "<svg onload=$X",
    "<a href=javascript:$X",
    "<img \"\"\"><script>$X</script>\">",
    "<img src=\"x\"\" onerror=$X>",
    "<img src=`x` onerror=$X>",
    "<<img src=x onerror=$X>>",
    "<img src=x onerror=$X//<",
    "<div><p><img src=x onerror=$X></div>",
    "<b><i><u><img src=x onerror=$X></b>",
    "<a href=\"x\"><a href=\"javascript:$X\">nested</a></a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=$X>",
    "<svg></p><style><a id=\"</style><img src=1 onerror=$X>\">",
    "<math><mi><table><mi><style><img src=x onerror=$X>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=$X>",
    "<noembed><img title=\"</noembed><img src onerror=$X>\"></noembed>",
    "<noframes><img title=\"</noframes><img src onerror=$X>\"></noframes>",
    "<xmp><img title=\"</xmp><img src onerror=$X>\"></xmp>",
    "<iframe><img title=\"</iframe><img src onerror=$X>\"></iframe>",
    "<textarea><img title=\"</textarea><img src onerror=$X>\"></textarea>",
    "<title><img title=\"</title><img src onerror=$X>\"></title>",
    "<select><template><style><!--</style><img src onerror=$X>--></template></select>",
    "<a title=\"a\"b\" onclick=$X>q</a>",
    "<img src=x\x00onerror=$X>",
    "<img\x0conerror=$X src=x>",
    "<img src=x\u2028onerror=$X>",
    "\x00<script>$X</script>",
    "<scri\u200bpt>$X</scri\u200bpt>",
    "\uff1cscript\uff1e$X\uff1c/script\uff1e",
    "&lt;img src=x onerror=$X&gt;",
    "&#60;img src=x onerror=$X&#62;",
    "%3Cimg%20src%3Dx%20onerror%3D$X%3E",
    "\\x3cimg src=x onerror=$X\\x3e",
    "\\u003cimg src=x onerror=$X\\u003e",
]

_CONTEXT = [
    "\" onmouseover=\"$X",
    "' onfocus='$X' autofocus '",
    "\"><img src=x onerror=$X>",
    "\" autofocus onfocus=\"$X",
    "javascript:$X",
    "';$X;//",
    "\";$X;//",
    "</script><script>$X</script>",
    "{{constructor.constructor('$X')()}}",
    "${$X}",
    "{% raw %}{{$X}}{% endraw %}",
    "<div data-bind=\"html:'<img src=x onerror=$X>'\">k</div>",
    "<div ng-app>{{$X}}</div>",
    "<input value=\"\" onfocus=$X autofocus>",
    "<button popovertarget=x>p</button><div popover id=x onbeforetoggle=$X>",
]


@dataclass(frozen=True)
class Vector:
    """One hostile input: its number, its class and its text (which calls xss(number))."""

    id: int
    kind: str
    text: str


def build() -> list[Vector]:
    """Every vector, numbered from 1, with `$X` replaced by its own `xss(N)` call."""
    groups = [("script", _SCRIPT), ("handler", _HANDLERS), ("url", _URLS),
              ("markdown", _MARKDOWN), ("css", _CSS), ("broken", _BROKEN),
              ("context", _CONTEXT)]
    vectors: list[Vector] = []
    for kind, templates in groups:
        for template in templates:
            number = len(vectors) + 1
            vectors.append(Vector(number, kind, template.replace("$X", f"xss({number})")))
    return vectors


VECTORS = build()
