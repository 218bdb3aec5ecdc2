"""HTML mail bodies as readable plain text, with the standard library's html.parser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

#: Elements whose content is never shown to a reader of the mail.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript", "object"})
#: Elements that start and end on a line of their own.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "main", "nav", "ol", "p", "pre", "section", "table", "tbody",
        "thead", "tfoot", "tr", "ul", "li",
    }
)  # fmt: skip
#: Blocks followed by an empty line, as a reader expects between paragraphs.
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre"})
#: Void elements: they never get an end tag, so they must not enter the hidden-element count.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _TextBuilder(HTMLParser):
    """Collects the text of an HTML document as lines; read the result with ``text()``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._lists: list[list[int]] = []  # per open list: [next number] or [-1] for bullets
        self._links: list[tuple[str | None, int]] = []  # (href, position in _out)
        self._pending_break = 0  # newlines owed before the next text

    # -- output helpers -------------------------------------------------------------------
    def _break(self, count: int) -> None:
        self._pending_break = max(self._pending_break, count)

    def _emit(self, text: str) -> None:
        if self._pending_break:
            if self._out:
                self._out.append("\n" * self._pending_break)
            self._pending_break = 0
        self._out.append(text)

    def _tail(self) -> str:
        return self._out[-1] if self._out else ""

    # -- HTMLParser callbacks -------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
            return
        if self._hidden:
            return
        if tag == "br":
            # A <br> is a line break even when nothing follows on that line yet.
            self._emit("")
            self._out.append("\n")
            return
        if tag == "hr":
            self._break(1)
            self._emit("-" * 20)
            self._break(1)
            return
        if tag in ("td", "th"):
            # Cells after the first of a row are separated by a tab; the first starts the line.
            if not self._pending_break and self._tail() and not self._tail().endswith("\n"):
                self._emit("\t")
            return
        if tag in ("ul", "ol"):
            self._lists.append([1 if tag == "ol" else -1])
        if tag in _BLOCKS:
            self._break(2 if tag in _PARAGRAPHS else 1)
        if tag == "pre":
            self._pre += 1
        if tag == "li":
            depth = max(len(self._lists), 1)
            marker = "-"
            if self._lists and self._lists[-1][0] > 0:
                marker = f"{self._lists[-1][0]}."
                self._lists[-1][0] += 1
            self._emit("  " * (depth - 1) + marker + " ")
        if tag == "a":
            href = dict(attrs).get("href")
            self._links.append((href, len(self._out)))
        if tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._emit(f"[{_SPACES.sub(' ', alt)}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <img/>, and even <p/>: treated as a start tag; an empty hidden element
        # must not stay open, so it is closed at once.
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
            return
        if self._hidden:
            return
        if tag == "a" and self._links:
            href, start = self._links.pop()
            label = "".join(self._out[start:]).strip()
            target = _link_target(href)
            if target and target != label and label.rstrip("/") != target.rstrip("/"):
                self._emit(f" ({target})" if label else target)
            return
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        if tag == "pre":
            self._pre = max(self._pre - 1, 0)
        if tag in _BLOCKS:
            self._break(2 if tag in _PARAGRAPHS else 1)

    def handle_data(self, data: str) -> None:
        if self._hidden or not data:
            return
        if self._pre:
            self._emit(data)
            return
        text = _SPACES.sub(" ", data)
        tail = self._tail()
        at_line_start = self._pending_break or not tail or tail.endswith(("\n", "\t", " "))
        if at_line_start:
            text = text.lstrip(" ")
        if text:
            self._emit(text)

    def text(self) -> str:
        """Return the collected text: lines without trailing spaces, at most one empty line."""
        joined = "".join(self._out)
        lines = [line.rstrip() for line in joined.split("\n")]
        result = "\n".join(lines)
        result = re.sub(r"\n{3,}", "\n\n", result)
        return result.strip("\n")


def _link_target(href: str | None) -> str | None:
    """Return what a reader needs of a link target, or None when it says nothing useful."""
    if not href:
        return None
    href = href.strip()
    lowered = href.lower()
    if lowered.startswith(("#", "javascript:", "cid:", "data:")):
        return None
    if lowered.startswith("mailto:"):
        return href[len("mailto:") :].split("?", 1)[0] or None
    return href


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML document or fragment.

    Paragraphs and headings are separated by an empty line, ``<br>`` and other blocks
    start a new line, list items get ``-`` or ``1.``, table cells are separated by a tab,
    links become ``text (url)`` (just ``text`` when the text already is the url), and
    ``<script>``, ``<style>`` and ``<head>`` contents are dropped. Entities are decoded.
    Never raises on malformed HTML: what the parser cannot make sense of is kept as text.

    >>> html_to_text('<p>Dobrý den,</p><p>viz <a href="https://x.cz/f">faktura</a></p>')
    'Dobrý den,\\n\\nviz faktura (https://x.cz/f)'
    """
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # noqa: BLE001 - html.parser may assert on pathological input
        # What was collected so far is still the best text we have.
        pass
    return builder.text()
