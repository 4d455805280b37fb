"""The specification's XML: <root><item>…</item></root>, lists of named singulars."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

# The element name of one item of a list, by the list's name.
SINGULAR = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "timeline": "event",
}


def _xml_value(parent: ET.Element, name: str, value) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_value(child, key, item)
    elif isinstance(value, list):
        for item in value:
            _xml_value(child, SINGULAR.get(name, "item"), item)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)


class Open311XMLRenderer(BaseRenderer):
    """A list as <root><item>…</item>…</root>, an object as <root>…</root>; the view names
    root and item (`xml_root`, `xml_item` in the renderer context)."""

    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        context = renderer_context or {}
        top = ET.Element(context.get("xml_root", "root"))
        for element in data if isinstance(data, list) else [data]:
            node = (
                ET.SubElement(top, context.get("xml_item", "item"))
                if isinstance(data, list)
                else top
            )
            for key, value in element.items():
                _xml_value(node, key, value)
        return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


class SuffixNegotiation(DefaultContentNegotiation):
    """The format is the path's suffix (.json or .xml), whatever the Accept header says: the
    specification names formats by suffix, and clients send Accept headers of all kinds."""

    def select_renderer(self, request, renderers, format_suffix=None):
        for renderer in renderers:
            if renderer.format == format_suffix:
                return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type
