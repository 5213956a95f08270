"""What keeps the site inert: escaping for HTML and Markdown, safe URLs and copies, safe SVG.

Every string from the evidence reaches a page through :func:`escape_text`, which neutralises it
for HTML *and* Markdown; evidence files that a browser would run are copied with ``.txt``
appended; lineage diagrams lose anything active or external.
"""

from __future__ import annotations

import mimetypes
import posixpath
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from urllib.parse import quote

from markupsafe import Markup

from mldossier.cache import Cache, cache_key, code_fingerprint

EVIDENCE_FILES_DIR = "evidence-files"


# Characters that mean something to HTML or to Python-Markdown (and its extensions enabled in
# mkdocs.yml) become numeric character references: the browser shows them as the character,
# Markdown sees no syntax. Newlines become &#10; so evidence can never start a Markdown line
# (a heading, a list, a table row) or end a raw HTML block; control characters and bidi
# overrides are shown as visible escapes instead of silently reordering text.
_MARKDOWN_SPECIALS = "\\`*_{}[]|!#~^"
_HTML_SPECIALS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def _escape_table(with_html: bool) -> dict[int, str]:
    table: dict[int, str] = {ord(c): f"&#{ord(c)};" for c in _MARKDOWN_SPECIALS}
    if with_html:
        table.update({ord(c): entity for c, entity in _HTML_SPECIALS.items()})
    for code in (
        *range(0x00, 0x20),
        0x7F,
        *range(0x80, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ):
        table[code] = f"&#92;u{code:04x}"
    table[ord("\t")] = " "
    for code in (0x0A, 0x0D, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029):
        table[code] = "&#10;"
    return table


_ESCAPE_ALL = _escape_table(with_html=True)
_ESCAPE_MARKDOWN = _escape_table(with_html=False)
_ESCAPE_HTML = {
    k: v for k, v in _ESCAPE_ALL.items() if chr(k) not in _MARKDOWN_SPECIALS and v != "&#10;"
} | {code: " " for code, v in _ESCAPE_ALL.items() if v == "&#10;"}


def escape_text(value: object) -> Markup:
    """Text made inert for both HTML and Markdown: it renders exactly as written."""
    if isinstance(value, Markup):
        # Already HTML-escaped by Jinja (e.g. a concatenation): only Markdown is left to defuse.
        return Markup(str(value).translate(_ESCAPE_MARKDOWN))
    return Markup(str(value).translate(_ESCAPE_ALL))


class Html(Markup):
    """HTML the renderer built itself from escaped parts; passed through to the page as is."""

    __slots__ = ()


def finalize(value: object) -> object:
    """Every ``{{ }}`` in a template: trusted HTML (macro output, Html) as is, the rest escaped."""
    if value is None:
        return Markup("")
    if isinstance(value, Markup):
        # Markup comes from template code (macros, blocks), whose own {{ }} went through this
        # same function, or from helpers here (Html). Templates never build strings with `~`
        # or Jinja's string filters (tests/test_site.py checks), which would escape HTML only.
        return value
    return escape_text(value)


def relative_url(from_url: str, to_path: str) -> str:
    """The URL of a site path relative to the folder of the page at ``from_url``."""
    start = posixpath.dirname(from_url) or "."
    return quote(posixpath.relpath(to_path, start), safe="/")


_ACTIVE_TYPES = ("html", "xml", "javascript", "ecmascript", "svg")
_ACTIVE_SUFFIXES = {
    ".htm",
    ".html",
    ".shtml",
    ".xht",
    ".xhtml",
    ".svg",
    ".svgz",
    ".xml",
    ".xsl",
    ".xslt",
    ".js",
    ".mjs",
    ".swf",
    ".mht",
    ".mhtml",
    # Run by a web server that serves the site (PHP, ASP.NET, JSP, ColdFusion, CGI, SSI) or
    # by Windows when the copy is opened (HTML applications, script host files).
    ".php",
    ".php3",
    ".php4",
    ".php5",
    ".php7",
    ".phps",
    ".pht",
    ".phtml",
    ".phar",
    ".asp",
    ".aspx",
    ".ascx",
    ".ashx",
    ".asmx",
    ".cshtml",
    ".vbhtml",
    ".jsp",
    ".jspx",
    ".cfm",
    ".cfml",
    ".cgi",
    ".pl",
    ".shtm",
    ".stm",
    ".hta",
    ".wsf",
    ".vbs",
}
_ACTIVE_NAMES = {".htaccess", ".htpasswd", "web.config", ".user.ini"}
"""Files a web server reads as its own configuration when it finds them in a folder."""


def raw_copy_path(path: str) -> str:
    """Where the copy of an evidence file lives in the site.

    Files a browser would render actively (HTML, SVG, XML, scripts), a web server would run
    (PHP, ASP, JSP, CGI...) or read as its configuration (``.htaccess``, ``web.config``), and
    Windows would run when opened (``.hta``, ``.wsf``) get ``.txt`` appended, so that the
    copy shows its text instead of running in the site's origin or on the server.
    """
    guessed = mimetypes.guess_type(path, strict=False)[0] or ""
    name = PurePosixPath(path)
    active = (
        name.suffix.lower() in _ACTIVE_SUFFIXES
        or name.name.lower() in _ACTIVE_NAMES
        or any(t in guessed for t in _ACTIVE_TYPES)
    )
    return f"{EVIDENCE_FILES_DIR}/{path}" + (".txt" if active else "")


def title_html(text: str) -> str:
    """Text for places mkdocs-material writes as HTML without escaping (titles, nav, footer)."""
    return text.translate(_ESCAPE_HTML)


# ---------------------------------------------------------------- the lineage SVG

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_DROP_ELEMENTS = {
    "script",
    "foreignObject",
    "iframe",
    "object",
    "embed",
    "style",
    "image",
    "use",
    "animate",
    "set",
    "animateTransform",
    "animateMotion",
    "handler",
}


def safe_svg(text: str) -> bytes | None:
    """The lineage SVG with anything active or external removed; None if it is not SVG.

    Shown through ``<img>`` no script in it could run anyway; this also keeps the file inert
    when opened directly, and makes sure it refers to nothing outside itself.
    """
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    if root.tag != f"{{{_SVG_NS}}}svg":
        return None
    for parent in list(root.iter()):
        for child in list(parent):
            local = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if (
                not isinstance(child.tag, str)
                or local in _DROP_ELEMENTS
                or (child.tag.startswith("{") and not child.tag.startswith(f"{{{_SVG_NS}}}"))
            ):
                parent.remove(child)
    for element in root.iter():
        for name in list(element.attrib):
            local = name.rsplit("}", 1)[-1].lower()
            value = element.attrib[name].strip().lower()
            if (
                local.startswith("on")
                or (local == "href" and not value.startswith("#"))
                or ("url(" in value and "url(#" not in value.replace(" ", ""))
                or local == "style"
                and ("url(" in value or "@import" in value)
            ):
                del element.attrib[name]
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


SAFE_SVG_NAMESPACE = "site-svg"


def cached_safe_svg(text: str, cache: Cache) -> bytes | None:
    """:func:`safe_svg`, from the cache when the same SVG was made safe before."""
    key = cache_key(SAFE_SVG_NAMESPACE, code_fingerprint(), text) if cache.enabled else ""
    data = cache.get(SAFE_SVG_NAMESPACE, key) if key else None
    if data is None:
        data = safe_svg(text)
        if data is not None and key:
            cache.put(SAFE_SVG_NAMESPACE, key, data)
    return data
