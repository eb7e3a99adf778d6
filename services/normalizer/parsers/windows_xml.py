"""Windows event XML (``<Event xmlns=...>``, as Windows Event Forwarding and agents forward it,
``RenderingInfo`` included) → the evtx tree that ``windows_forms.from_tree`` reads.

``to_tree(text)`` returns ``{"System": ..., "EventData": {"Data": [...]}, "UserData": ...,
"RenderingInfo": ...}`` with attributes under ``#attributes`` and namespaces dropped. Hostile XML:
a document that declares a DTD or an entity is refused before it is parsed (the defusedxml rule),
so no entity can expand or be fetched; only the fixed levels of an event are walked, so nesting
depth costs nothing.

``ParseError``: a DTD or entity declaration, XML that is not well formed, a root other than
``<Event>``.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from services.normalizer.parsers.base import ParseError

_DTD = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_NAMESPACE = re.compile(r"^\{[^}]*\}")


def to_tree(text: str) -> dict[str, Any]:
    if _DTD.search(text):
        raise ParseError("XML declares a DTD or an entity: refused (entity expansion)")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ParseError(f"not well-formed XML: {exc}") from None
    if _local(root.tag) != "Event":
        raise ParseError(f"XML root is <{_local(root.tag)}>, not <Event>")
    return _xml_event(root)


def _xml_event(root: ElementTree.Element) -> dict[str, Any]:
    """An XML ``<Event>`` as the evtx tree (attributes under ``#attributes``)."""
    event: dict[str, Any] = {}
    for section in root:
        name = _local(section.tag)
        if name == "EventData":  # <Data Name=...> items, and <Binary> beside them
            data = [_xml_node(item) for item in section if _local(item.tag) == "Data"]
            others = {
                _local(i.tag): "".join(i.itertext()) for i in section if _local(i.tag) != "Data"
            }
            event[name] = {"Data": data, **others}
        elif name == "UserData":
            event[name] = {_local(e.tag): _xml_children(e) for e in section[:1]}
        elif name in ("System", "RenderingInfo"):
            event[name] = _xml_children(section)
    return event


def _xml_children(element: ElementTree.Element) -> dict[str, Any]:
    children: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        if name == "Keywords" and len(child):
            children[name] = {"Keyword": ["".join(k.itertext()) for k in child]}
        else:
            children[name] = _xml_node(child)
    return children


def _xml_node(element: ElementTree.Element) -> Any:
    text = "".join(element.itertext())
    if not element.attrib:
        return text
    attrs = {_local(key): value for key, value in element.attrib.items()}
    return {"#attributes": attrs, "#text": text}


def _local(tag: Any) -> str:
    return _NAMESPACE.sub("", tag) if isinstance(tag, str) else ""
