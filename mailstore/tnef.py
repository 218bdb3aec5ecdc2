"""A small reader for the files inside a TNEF stream (``winmail.dat``), after MS-OXTNEF.

Only what mail ingestion needs: each attached file's name, data and MIME type. The
message's own body (RTF) and the other MAPI properties are skipped. The layout, from
MS-OXTNEF section 2.1.3: a signature (0x223E9F78), a legacy key (uint16), then
attributes, each ``level (uint8), id (uint32: type << 16 | name), length (uint32),
data, checksum (uint16, the byte sum of the data)``. An attachment starts with
``attAttachRenddata``; its name is in ``attAttachTitle`` (8-bit, in the code page of
``attOemCodepage``) or, better, in the MAPI property ``PR_ATTACH_LONG_FILENAME`` of
``attAttachment``; its data is ``attAttachData`` (or ``PR_ATTACH_DATA_BIN``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

__all__ = ["TNEF_SIGNATURE", "TnefAttachment", "TnefError", "is_tnef", "read_attachments"]

TNEF_SIGNATURE = 0x223E9F78

# Attribute ids (MS-OXTNEF 2.1.3.1: attribute type in the high word, name in the low word).
_ATT_ATTACH_DATA = 0x0006800F
_ATT_ATTACH_TITLE = 0x00018010
_ATT_ATTACH_RENDDATA = 0x00069002
_ATT_ATTACHMENT = 0x00069005
_ATT_OEM_CODEPAGE = 0x00069007
_LEVEL_ATTACHMENT = 0x02

# MAPI property ids (MS-OXPROPS) and types (MS-OXCDATA 2.11.1).
_PR_ATTACH_DATA = 0x3701
_PR_ATTACH_FILENAME = 0x3704
_PR_ATTACH_LONG_FILENAME = 0x3707
_PR_ATTACH_MIME_TAG = 0x370E
_PR_DISPLAY_NAME = 0x3001
_PT_STRING8 = 0x001E
_PT_UNICODE = 0x001F
_PT_BINARY = 0x0102
_PT_OBJECT = 0x000D
_MV_FLAG = 0x1000
#: Sizes of the fixed-length property types; each value is padded to 4 bytes.
_FIXED_SIZES = {
    0x0002: 2, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000A: 4,
    0x000B: 2, 0x0014: 8, 0x0040: 8, 0x0048: 16, 0x0001: 0,
}  # fmt: skip


class TnefError(ValueError):
    """Raised by ``read_attachments`` when the data is not a TNEF stream it can read."""


@dataclass
class TnefAttachment:
    """One file found inside a TNEF stream."""

    #: The best name found: the long file name, else the 8.3 name, else the title.
    filename: str | None
    data: bytes
    #: The MIME type Outlook recorded (``PR_ATTACH_MIME_TAG``), often absent.
    content_type: str | None = None
    _title: str | None = field(default=None, repr=False)


def is_tnef(data: bytes) -> bool:
    """Return True when ``data`` starts with the TNEF signature."""
    return len(data) >= 4 and struct.unpack_from("<I", data)[0] == TNEF_SIGNATURE


class _Reader:
    """Bounds-checked little-endian reading; every overrun is a TnefError."""

    def __init__(self, data: bytes | memoryview, offset: int = 0) -> None:
        self.data = memoryview(data)
        self.pos = offset

    def take(self, size: int) -> memoryview:
        if size < 0 or self.pos + size > len(self.data):
            raise TnefError(f"truncated TNEF data at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def u8(self) -> int:
        return int(self.take(1)[0])

    def u16(self) -> int:
        return int(struct.unpack("<H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def skip_padding(self) -> None:
        self.pos += -self.pos % 4

    @property
    def at_end(self) -> bool:
        return self.pos >= len(self.data)


def _decode_8bit(raw: bytes | memoryview, codepage: int) -> str:
    """Return a PT_STRING8 / attAttachTitle value decoded in the stream's code page."""
    text = bytes(raw).split(b"\0", 1)[0]
    try:
        return text.decode(f"cp{codepage}")
    except (LookupError, UnicodeDecodeError):
        return text.decode("cp1252", errors="replace")


def _read_mapi_props(data: memoryview, codepage: int) -> dict[int, list[bytes | str]]:
    """Return the MAPI properties of an attAttachment attribute as {property id: values}.

    Strings come back as str, binary and object values as bytes (an object's 16-byte
    interface id removed); fixed-size values are skipped (none of them is needed). A
    property of a type this reader does not know, or data cut short, ends the reading:
    the properties read so far are returned (the file's name and data also come from
    other attributes).
    """
    props: dict[int, list[bytes | str]] = {}
    try:
        _read_props_into(_Reader(data), codepage, props)
    except TnefError:
        pass
    return props


def _read_props_into(reader: _Reader, codepage: int, props: dict[int, list[bytes | str]]) -> None:
    """Read the property list at ``reader`` into ``props``; TnefError where it stops."""
    count = reader.u32()
    for _ in range(count):
        prop_type = reader.u16()
        prop_id = reader.u16()
        if prop_id >= 0x8000:
            # A named property (MS-OXTNEF 2.1.3.5): GUID, kind, then an id or a name.
            reader.take(16)
            kind = reader.u32()
            if kind == 0:
                reader.u32()
            else:
                reader.take(reader.u32())
                reader.skip_padding()
        base_type = prop_type & ~_MV_FLAG
        multi = bool(prop_type & _MV_FLAG)
        if base_type in _FIXED_SIZES:
            values = reader.u32() if multi else 1
            for _ in range(values):
                reader.take(_FIXED_SIZES[base_type])
                reader.skip_padding()
            continue
        if base_type not in (_PT_STRING8, _PT_UNICODE, _PT_BINARY, _PT_OBJECT):
            raise TnefError(f"unknown MAPI property type 0x{prop_type:04x}")
        # Variable-length values always carry a count, even when single-valued.
        values = reader.u32()
        found: list[bytes | str] = []
        for _ in range(values):
            raw = reader.take(reader.u32())
            reader.skip_padding()
            if base_type == _PT_UNICODE:
                found.append(bytes(raw).decode("utf-16-le", errors="replace").split("\0", 1)[0])
            elif base_type == _PT_STRING8:
                found.append(_decode_8bit(raw, codepage))
            elif base_type == _PT_OBJECT:
                found.append(bytes(raw[16:]))
            else:
                found.append(bytes(raw))
        props[prop_id] = found


def _first_str(props: dict[int, list[bytes | str]], prop_id: int) -> str | None:
    for value in props.get(prop_id, []):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def read_attachments(data: bytes) -> list[TnefAttachment]:
    """Return the files attached inside a TNEF stream, in their order.

    Raises TnefError when ``data`` is not TNEF or is cut short; a stream with no
    attachment returns ``[]`` (a ``winmail.dat`` that only carries a formatted body).
    Checksums are not verified: Outlook's writers are known to get them wrong, and a
    damaged file is better delivered than dropped.

    >>> try:
    ...     read_attachments(b"not tnef")
    ... except TnefError as err:
    ...     print(err)
    not a TNEF stream (no signature)
    """
    if not is_tnef(data):
        raise TnefError("not a TNEF stream (no signature)")
    reader = _Reader(data, 6)  # signature + legacy key
    codepage = 1252
    found: list[TnefAttachment] = []
    current: TnefAttachment | None = None
    while not reader.at_end:
        level = reader.u8()
        attr_id = reader.u32()
        value = reader.take(reader.u32())
        reader.u16()  # checksum
        if attr_id == _ATT_OEM_CODEPAGE and len(value) >= 4:
            codepage = struct.unpack_from("<I", value)[0] or 1252
        if level != _LEVEL_ATTACHMENT:
            continue
        if attr_id == _ATT_ATTACH_RENDDATA or current is None:
            current = TnefAttachment(filename=None, data=b"")
            found.append(current)
        if attr_id == _ATT_ATTACH_TITLE:
            current._title = _decode_8bit(value, codepage).strip() or None
        elif attr_id == _ATT_ATTACH_DATA:
            current.data = bytes(value)
        elif attr_id == _ATT_ATTACHMENT:
            props = _read_mapi_props(value, codepage)
            current.filename = _first_str(props, _PR_ATTACH_LONG_FILENAME) or _first_str(
                props, _PR_ATTACH_FILENAME
            )
            current.content_type = _first_str(props, _PR_ATTACH_MIME_TAG)
            if not current.data:
                blobs = [v for v in props.get(_PR_ATTACH_DATA, []) if isinstance(v, bytes)]
                if blobs:
                    current.data = blobs[0]
            if current._title is None:
                current._title = _first_str(props, _PR_DISPLAY_NAME)
    for attachment in found:
        if attachment.filename is None:
            attachment.filename = attachment._title
    return found
