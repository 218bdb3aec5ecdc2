"""XML for handler scripts: ``parseXml(text)`` (defusedxml) and the navigable ``XmlElement``.

Paths are a small part of XPath, relative to the element they are asked of::

    Name                 child elements called Name (any namespace)
    isdoc:Name           Name in the namespace the document binds to the prefix isdoc
    {http://uri}Name     Name in that namespace (Clark notation)
    *                    any child element
    A/B/C                steps, each from the elements the previous one found
    //Name               Name at any depth below (also A//Name)
    Name[2]              the second Name of each parent (1-based, as in XPath)
    /Invoice/ID          from the document's root: the first step must match the root
    A/@attr              an attribute's value (a String) instead of elements

An unprefixed name matches whatever namespace the element is in, so ISDOC paths such as
``AccountingSupplierParty/Party/PartyName/Name`` work without declaring
``http://isdoc.cz/namespace/2013``. A prefix must be declared in the document (``xmlns:p``);
an undeclared prefix is an error rather than a silent miss.

Safety: defusedxml refuses entity declarations, external references and DTD tricks (the
"billion laughs"); such a document is an error, never expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scriptengine.errors import EvalError
from scriptengine.host import HostObject, MethodInfo, PropertyInfo, TypeInfo
from scriptengine.thread import Thread
from scriptengine.values import java_class_name

if TYPE_CHECKING:  # the XML libraries are imported by parse_xml: most runs never parse XML
    import xml.etree.ElementTree as ET


@dataclass
class XmlDocument:
    """What the elements of one parsed document share: the root and the prefixes the
    document declares (the first declaration of a prefix wins)."""

    root: ET.Element
    prefixes: dict[str, str] = field(default_factory=dict)
    _order: dict[int, int] | None = None

    def order(self) -> dict[int, int]:
        """Each element's position in document order (by ``id``), computed once."""
        if self._order is None:
            self._order = {id(e): i for i, e in enumerate(self.root.iter())}
        return self._order


def _split(tag: str) -> tuple[str | None, str]:
    """``'{uri}local'`` -> ``('uri', 'local')``; no namespace -> ``(None, tag)``."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return None, tag


#: a step: ``*``, ``{uri}local``, ``local`` or ``prefix:local``, then an optional ``[n]``
_STEP = re.compile(
    r"(?P<name>\*|\{[^}]*\}[\w.\-]+|[\w.\-]+(?::[\w.\-]+)?)(?:\[(?P<index>\s*\d+\s*)\])?\Z"
)


@dataclass(frozen=True)
class _Step:
    uri: str | None  # None: any namespace
    local: str  # '*': any name
    index: int | None  # 1-based position among a parent's matches
    deep: bool  # '//' before the step


def _compile_path(path: str, doc: XmlDocument) -> tuple[bool, list[_Step], str | None]:
    """(absolute, steps, attribute name or None) of a path; errors name the path."""
    if not isinstance(path, str) or not path.strip():
        raise EvalError(f"an XML path must be a non-empty String, got {java_class_name(path)}")
    text = path.strip()
    absolute = text.startswith("/") and not text.startswith("//")
    attribute: str | None = None
    parts = re.split(r"(//|/)", text)
    steps: list[_Step] = []
    deep = False
    for i, part in enumerate(parts):
        if part in ("/", "//"):
            deep = part == "//"
            continue
        if not part:
            continue
        part = part.strip()
        if part.startswith("@"):
            if i != len(parts) - 1 or len(part) == 1:
                raise EvalError(f"'@attribute' must be the last step of the XML path '{path}'")
            attribute = part[1:]
            break
        if part == ".":
            continue
        if part == "..":
            raise EvalError(f"'..' (the parent) is not supported in XML paths: '{path}'")
        m = _STEP.match(part)
        if m is None:
            raise EvalError(f"cannot read the step '{part}' of the XML path '{path}'")
        uri, local = _resolve_name(m.group("name"), doc, path)
        index = int(m.group("index")) if m.group("index") else None
        if index is not None and index < 1:
            raise EvalError(f"positions in XML paths start at 1: '{part}' in '{path}'")
        steps.append(_Step(uri, local, index, deep))
        deep = False
    return absolute, steps, attribute


def _resolve_name(name: str, doc: XmlDocument, path: str) -> tuple[str | None, str]:
    if name.startswith("{"):
        return _split(name)
    prefix, colon, local = name.partition(":")
    if not colon:
        return None, name
    if prefix not in doc.prefixes:
        known = ", ".join(sorted(doc.prefixes)) or "none"
        raise EvalError(
            f"the prefix '{prefix}' of the XML path '{path}' is not declared in the document "
            f"(declared: {known}; a name without a prefix matches any namespace)"
        )
    return doc.prefixes[prefix], local


def _matches(elem: ET.Element, step: _Step) -> bool:
    if not isinstance(elem.tag, str):
        return False  # comments and processing instructions
    uri, local = _split(elem.tag)
    if step.local != "*" and local != step.local:
        return False
    return step.uri is None or step.uri == (uri or "")


def _select(start: list[ET.Element], steps: list[_Step], doc: XmlDocument) -> list[ET.Element]:
    """XPath's node-set of ``steps`` from ``start``: each step takes, from every context
    element (for ``//``: every element at or below it), the matching children, the
    ``[n]``-th of them when indexed; the result in document order, without duplicates."""
    current = start
    for step in steps:
        found: list[ET.Element] = []
        seen: set[int] = set()
        for node in current:
            for parent in node.iter() if step.deep else (node,):
                hits = [e for e in parent if _matches(e, step)]
                if step.index is not None:
                    hits = hits[step.index - 1 : step.index]
                for e in hits:
                    if id(e) not in seen:
                        seen.add(id(e))
                        found.append(e)
        if len(current) > 1 or step.deep:
            order = doc.order()
            found.sort(key=lambda e: order[id(e)])
        current = found
    return current


def _attribute(elem: ET.Element, name: str, doc: XmlDocument) -> str | None:
    """An attribute by exact name, ``prefix:name``, ``{uri}name`` or local name."""
    if name in elem.attrib:
        return elem.attrib[name]
    if ":" in name or name.startswith("{"):
        uri, local = _resolve_name(name, doc, "@" + name)
        return elem.attrib.get(f"{{{uri}}}{local}")
    for key, value in elem.attrib.items():
        if _split(key)[1] == name:
            return value
    return None


def _text(elem: ET.Element) -> str:
    """The text content (every descendant's text), surrounding whitespace removed."""
    return "".join(elem.itertext()).strip()


class XmlElement(HostObject):
    """An element of a parsed XML document (``parseXml``): ``name``, ``namespace``,
    ``text``, ``attributes``, ``children``; ``get(path)``, ``getAll(path)``, ``text(path)``,
    ``attr(name)``. Two XmlElements are equal when they stand for the same element."""

    jexl_type = TypeInfo(
        "XmlElement",
        properties={
            "name": PropertyInfo("name", "String", doc="the local name (without prefix)"),
            "namespace": PropertyInfo("namespace", "String", doc="the namespace URI or null"),
            "text": PropertyInfo("text", "String", doc="the text content, trimmed"),
            "attributes": PropertyInfo("attributes", "Map", doc="local name -> value"),
            "children": PropertyInfo("children", "List", doc="the child elements"),
        },
        methods={
            "get": MethodInfo("get", 1, 1, None, "the first match of a path, or null"),
            "getAll": MethodInfo("getAll", 1, 1, "List", "every match of a path, in order"),
            "text": MethodInfo("text", 0, 1, "String", "the text of the first match, or null"),
            "attr": MethodInfo("attr", 1, 1, "String", "an attribute's value, or null"),
            "exists": MethodInfo("exists", 1, 1, "Boolean", "true when the path matches"),
        },
        doc="an XML element (parseXml)",
    )

    def __init__(self, elem: ET.Element, doc: XmlDocument) -> None:
        self.elem = elem
        self.doc = doc

    # --- the Java face ----------------------------------------------------------------------
    def jexl_get(self, name: str) -> Any:
        e = self.elem
        if name == "name":
            return _split(e.tag)[1]
        if name == "namespace":
            return _split(e.tag)[0]
        if name == "text":
            return _text(e)
        if name == "attributes":
            return {_split(k)[1]: v for k, v in e.attrib.items()}
        if name == "children":
            return [XmlElement(c, self.doc) for c in e if isinstance(c.tag, str)]
        raise EvalError(f"unknown property '{name}' of XmlElement")

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        if name == "attr":
            key = args[0]
            if not isinstance(key, str):
                raise EvalError(f"attr expects an attribute name, got {java_class_name(key)}")
            return _attribute(self.elem, key, self.doc)
        if name == "text" and not args:
            return _text(self.elem)
        found = self.select(args[0])
        if name == "getAll":
            return found
        if name == "exists":
            return bool(found)
        first = found[0] if found else None
        if name == "text" and isinstance(first, XmlElement):
            return _text(first.elem)
        return first

    def select(self, path: Any) -> list[Any]:
        """Every match of ``path`` in document order: XmlElements, or Strings for a path
        ending in ``@attribute`` (elements without it are skipped)."""
        absolute, steps, attribute = _compile_path(path, self.doc)
        if absolute:
            root = self.doc.root
            if not steps or not _matches(root, steps[0]) or steps[0].index not in (None, 1):
                return []
            elems = _select([root], steps[1:], self.doc)
        else:
            elems = _select([self.elem], steps, self.doc)
        if attribute is None:
            return [XmlElement(e, self.doc) for e in elems]
        values = (_attribute(e, attribute, self.doc) for e in elems)
        return [v for v in values if v is not None]

    def jexl_string(self) -> str:
        return f"<{_split(self.elem.tag)[1]}>"

    def to_json(self) -> Any:
        """JSON: ``{"name", "attributes", "text"}`` for a leaf, ``"children"`` instead of
        ``"text"`` for an element with child elements."""
        out: dict[str, Any] = {"name": _split(self.elem.tag)[1]}
        if self.elem.attrib:
            out["attributes"] = {_split(k)[1]: v for k, v in self.elem.attrib.items()}
        kids = [c for c in self.elem if isinstance(c.tag, str)]
        if kids:
            out["children"] = [XmlElement(c, self.doc).to_json() for c in kids]
        else:
            out["text"] = _text(self.elem)
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XmlElement) and other.elem is self.elem

    def __hash__(self) -> int:
        return id(self.elem)

    def __repr__(self) -> str:
        return f"XmlElement({self.elem.tag!r})"


_REFUSED = {
    "EntitiesForbidden": "entity declarations",
    "DTDForbidden": "a document type definition",
    "ExternalReferenceForbidden": "external references",
    "NotSupportedError": "a feature the safe parser does not support",
}


def parse_xml(text: Any, thread: Thread | None = None) -> XmlElement:
    """Parse an XML document and return its root element.

    A leading byte order mark is ignored; the encoding declaration is irrelevant (the text
    is already decoded). Errors give the line and column; entity declarations and
    external references are refused (defusedxml). ``thread`` is charged per element."""
    if not isinstance(text, str):
        raise EvalError(f"parseXml expects a String, got {java_class_name(text)}")
    if thread is not None:
        thread.charge(len(text) // 64 + 1)
    source = text.lstrip("\ufeff")
    # the prefix xml is bound by definition (Namespaces in XML 1.0, section 3)
    doc_prefixes: dict[str, str] = {"xml": "http://www.w3.org/XML/1998/namespace"}

    def declare(prefix: str | None, uri: str) -> None:
        if prefix and prefix not in doc_prefixes:
            doc_prefixes[prefix] = uri

    import xml.etree.ElementTree as ET

    from defusedxml.common import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser()
    # expat reports each xmlns declaration; ElementTree keeps only the resolved names
    parser.parser.StartNamespaceDeclHandler = declare
    try:
        parser.feed(source)
        root = parser.close()
    except ET.ParseError as err:
        # expat counts columns in characters, from 0
        line, col = err.position
        message = str(err).split(":")[0]
        raise EvalError(f"invalid XML at line {line}, column {col + 1}: {message}") from None
    except DefusedXmlException as err:
        what = _REFUSED.get(type(err).__name__, "a forbidden construct")
        raise EvalError(f"the XML was refused for safety: it uses {what}") from None
    if thread is not None:
        count = sum(1 for _ in root.iter())
        thread.charge(count)
        thread.alloc(count * 200 + len(source))
    return XmlElement(root, XmlDocument(root, doc_prefixes))
