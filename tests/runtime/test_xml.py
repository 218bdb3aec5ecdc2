"""parseXml: a real ISDOC invoice (the Czech e-invoice), paths with and without namespace
prefixes, attributes, errors with positions, and the safety of defusedxml."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.functions import library_functions, library_types
from runtime.xmlvalues import XmlElement, parse_xml
from scriptengine import Engine, Limits, ScriptError, ScriptLimitError
from scriptengine.errors import EvalError
from scriptengine.values import to_json, to_string

ISDOC = (Path(__file__).resolve().parents[1] / "fixtures" / "isdoc" / "faktura.isdoc").read_text(
    encoding="utf-8"
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = Engine()
    for function in library_functions():
        engine.host.add_function(function)
    for info in library_types():
        engine.register_type(info)
    return engine


@pytest.fixture
def run(engine: Engine) -> Any:
    def run(source: str, **variables: Any) -> Any:
        variables.setdefault("xml", ISDOC)
        return engine.compile(source).run(variables)

    return run


# --- the ISDOC invoice ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("ID", "FV-2026-0042"),
        ("IssueDate", "2026-11-20"),
        ("AccountingSupplierParty/Party/PartyName/Name", "Dřevovýroba Šťastný s.r.o."),
        ("AccountingSupplierParty/Party/PartyIdentification/ID", "12345678"),
        ("AccountingSupplierParty/Party/PartyTaxScheme/CompanyID", "CZ12345678"),
        ("AccountingCustomerParty/Party/PartyName/Name", "Truhlářství Dvořák & syn, v.o.s."),
        ("AccountingCustomerParty/Party/PostalAddress/CityName", "Žďár nad Sázavou"),
        ("LegalMonetaryTotal/PayableAmount", "20384.30"),
        ("PaymentMeans/Payment/Details/VariableSymbol", "20260042"),
        ("InvoiceLines/InvoiceLine[4]/Item/Description", "Kniha „Dřevo v interiéru“"),
        ("//IBAN", "CZ6501000000001234567890"),
        ("/Invoice/LocalCurrencyCode", "CZK"),
    ],
)
def test_isdoc_paths_without_prefixes(run: Any, path: str, expected: str) -> None:
    assert run("parseXml(xml).get(path).text", path=path) == expected
    assert run("parseXml(xml).text(path)", path=path) == expected


def test_isdoc_lines_and_totals_add_up(run: Any) -> None:
    got = run(
        """
        var invoice = parseXml(xml);
        var total = 0b;
        for (var line : invoice.getAll('InvoiceLines/InvoiceLine')) {
            total = total + line.text('LineExtensionAmount') * 1b
        }
        total
        """
    )
    assert got == Decimal("16880.00")
    # the fixture is a consistent invoice: taxes per rate add up to the totals
    totals = run(
        """
        var inv = parseXml(xml);
        var tax = 0b;
        for (var sub : inv.getAll('TaxTotal/TaxSubTotal')) { tax = tax + sub.text('TaxAmount') * 1b }
        [tax, inv.text('TaxTotal/TaxAmount') * 1b,
         inv.text('LegalMonetaryTotal/TaxExclusiveAmount') * 1b + tax,
         inv.text('LegalMonetaryTotal/PayableAmount') * 1b, ...]
        """
    )
    assert totals == [Decimal(x) for x in ("3504.30", "3504.30", "20384.30", "20384.30")]


def test_isdoc_line_items(run: Any) -> None:
    names = run(
        "var out = [...]; for (var l : parseXml(xml).getAll('InvoiceLines/InvoiceLine'))"
        " out.add(l.text('Item/Description') + ' ' + l.get('InvoicedQuantity').attr('unitCode'));"
        " out"
    )
    assert names == [
        "Dubová prkna 20 × 200 × 2000 mm, sušená ks",
        "Montáž a doprava h",
        "Impregnační lak na dřevo, 5 l ks",
        "Kniha „Dřevo v interiéru“ ks",
    ]
    assert run("size(parseXml(xml).getAll('TaxTotal/TaxSubTotal/TaxCategory/Percent'))") == 2


def test_isdoc_element_members(run: Any) -> None:
    assert run("parseXml(xml).name") == "Invoice"
    assert run("parseXml(xml).namespace") == "http://isdoc.cz/namespace/2013"
    assert run("parseXml(xml).attr('version')") == "6.0.2"
    assert run("parseXml(xml).get('LegalMonetaryTotal/PayableAmount').attributes") == {
        "currencyID": "CZK"
    }
    assert run("parseXml(xml).get('//PayableAmount/@currencyID')") == "CZK"
    assert run("parseXml(xml).get('//PayableAmount').attr('currencyid')") is None  # exact case
    children = run("parseXml(xml).get('AccountingSupplierParty/Party/PostalAddress').children")
    assert [c.jexl_get("name") for c in children] == [
        "StreetName",
        "BuildingNumber",
        "CityName",
        "PostalZone",
        "Country",
    ]


def test_declared_prefixes_work_and_undeclared_ones_are_errors(run: Any) -> None:
    assert run("parseXml(xml).text('Extensions/ext:OrderNumber')") == "OBJ-2026-117"
    assert run("parseXml(xml).text('//ext:OrderNumber')") == "OBJ-2026-117"
    assert run("parseXml(xml).text('//{urn:example:mailwright:extensions}OrderNumber')") == (
        "OBJ-2026-117"
    )
    # an unprefixed name matches in any namespace, a prefixed one only in its own
    assert run("parseXml(xml).text('Extensions/OrderNumber')") == "OBJ-2026-117"
    assert run("parseXml(xml).text('//ext:ID')") is None
    with pytest.raises(ScriptError, match="the prefix 'isdoc' of the XML path 'isdoc:ID' is not"):
        run("parseXml(xml).get('isdoc:ID')")


def test_namespaced_attributes() -> None:
    doc = parse_xml('<r xmlns:a="urn:a"><n xml:lang="cs" a:kind="x" kind="y">Ahoj</n></r>')
    n = doc.jexl_call("get", ["n"])
    assert n.jexl_call("attr", ["xml:lang"]) == "cs"
    assert n.jexl_call("attr", ["lang"]) == "cs"
    assert n.jexl_call("attr", ["a:kind"]) == "x"
    assert n.jexl_call("attr", ["kind"]) == "y"  # the exact name first
    assert n.jexl_call("attr", ["{urn:a}kind"]) == "x"
    assert doc.select("n/@xml:lang") == ["cs"]


def test_prefixed_documents() -> None:
    doc = parse_xml(
        '<i:Invoice xmlns:i="http://isdoc.cz/namespace/2013"><i:ID>7</i:ID>'
        '<o:ID xmlns:o="urn:other">8</o:ID></i:Invoice>'
    )
    assert doc.jexl_call("text", ["i:ID"]) == "7"
    assert doc.jexl_call("text", ["o:ID"]) == "8"
    assert [e.jexl_get("text") for e in doc.select("ID")] == ["7", "8"]
    assert doc.jexl_get("name") == "Invoice"


# --- paths ----------------------------------------------------------------------------------

SMALL = """<root a="1">
  <item n="x"><v>1</v></item>
  <item n="y"><v>2</v><v>3</v></item>
  <other><item n="z"><v>4</v></item></other>
</root>"""


@pytest.mark.parametrize(
    ("path", "texts"),
    [
        ("item", ["1", "23"]),
        ("item/v", ["1", "2", "3"]),
        ("item/v[2]", ["3"]),
        ("item[2]/v[1]", ["2"]),
        ("item[3]", []),
        ("*/item", ["4"]),
        ("//item", ["1", "23", "4"]),
        ("other//v", ["4"]),
        ("./item/./v", ["1", "2", "3"]),
        ("/root/other/item", ["4"]),
        ("/nope/item", []),
        ("missing/v", []),
    ],
)
def test_paths(path: str, texts: list[str]) -> None:
    root = parse_xml(SMALL)
    assert [e.jexl_get("text") for e in root.select(path)] == texts


def test_names_may_be_czech() -> None:
    root = parse_xml(
        "<faktura><Položka č.ř='1'><Název-zboží>Stůl</Název-zboží></Položka></faktura>"
    )
    assert root.jexl_call("text", ["Položka/Název-zboží"]) == "Stůl"
    assert root.jexl_call("get", ["Položka/@č.ř"]) == "1"


def test_a_position_after_a_star_counts_every_child() -> None:
    root = parse_xml("<r><p><a/><b/></p><p><b/><a/></p></r>")
    assert [e.jexl_get("name") for e in root.select("p/*[1]")] == ["a", "b"]
    assert [e.jexl_get("name") for e in root.select("//*[2]")] == ["b", "p", "a"]  # doc order


def test_attribute_paths() -> None:
    root = parse_xml(SMALL)
    assert root.select("//item/@n") == ["x", "y", "z"]
    assert root.select("@a") == ["1"]
    assert root.select("item/@missing") == []
    assert root.jexl_call("get", ["item/@n"]) == "x"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "an XML path must be a non-empty String"),
        ("@a/item", "'@attribute' must be the last step"),
        ("item[0]", "positions in XML paths start at 1"),
        ("item[x]", "cannot read the step 'item[x]'"),
        ("item/text()", "cannot read the step 'text()'"),
        ("item/../other", "'..' (the parent) is not supported"),
        ("a b", "cannot read the step 'a b'"),
    ],
)
def test_bad_paths_are_errors(path: str, message: str) -> None:
    with pytest.raises(EvalError, match=re.escape(message)):
        parse_xml(SMALL).select(path)


def test_text_content_and_elements_as_values(run: Any) -> None:
    assert run("parseXml('<a> x <b>y</b> z </a>').text") == "x y z"
    assert run("parseXml('<a><b/></a>').text('b')") == ""
    assert run("parseXml('<a><b/></a>').text('c')") is None
    assert run("parseXml('<a><b/></a>').exists('b')") is True
    assert run("parseXml('<a><b/></a>').exists('c')") is False
    assert run("var r = parseXml('<a><b/></a>'); r.get('b') == r.children[0]") is True
    assert run("'' + parseXml('<a:b xmlns:a=\"u\"/>')") == "<b>"
    assert run("size(parseXml('<a><!-- c --><b/><?pi x?></a>').children)") == 1


def test_json_of_an_element() -> None:
    root = parse_xml('<a k="v"><b>1</b><c><d>2</d></c></a>')
    assert to_json(root) == {
        "name": "a",
        "attributes": {"k": "v"},
        "children": [
            {"name": "b", "text": "1"},
            {"name": "c", "children": [{"name": "d", "text": "2"}]},
        ],
    }


def test_check_knows_the_element_members(engine: Engine) -> None:
    found = {(d.code, d.hint) for d in engine.check("parseXml('<a/>').getAl('b')")}
    assert ("unknown-method", "did you mean 'getAll'?") in found


# --- errors and safety ----------------------------------------------------------------------


def test_syntax_errors_give_line_and_column(run: Any) -> None:
    with pytest.raises(ScriptError, match=r"invalid XML at line 2, column 7: mismatched tag"):
        run("parseXml(x)", x="<a>\n<b>č</a>")
    with pytest.raises(ScriptError, match="invalid XML at line 1, column 1: no element found"):
        run("parseXml('')")
    with pytest.raises(ScriptError, match="parseXml expects a String, got null"):
        run("parseXml(null)")


def test_columns_count_characters_not_bytes() -> None:
    with pytest.raises(EvalError, match="line 1, column 11"):
        parse_xml("<a>žžžžž</b>")


def test_a_byte_order_mark_and_an_encoding_declaration_are_fine() -> None:
    root = parse_xml('\ufeff<?xml version="1.0" encoding="windows-1250"?><a>čř</a>')
    assert root.jexl_get("text") == "čř"


@pytest.mark.parametrize(
    ("xml", "what"),
    [
        (
            '<!DOCTYPE a [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>',
            "entity declarations",
        ),
        ('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', "entity declarations"),
    ],
)
def test_entities_are_refused(xml: str, what: str) -> None:
    with pytest.raises(EvalError, match=f"the XML was refused for safety: it uses {what}"):
        parse_xml(xml)


def test_parsing_is_charged_to_the_run(engine: Engine) -> None:
    big = "<a>" + "<b>x</b>" * 5000 + "</a>"
    with pytest.raises(ScriptLimitError, match="step limit"):
        engine.compile("parseXml(x)").run({"x": big}, limits=Limits(steps=1000))
    thread = engine.thread(limits=Limits(steps=100_000))
    engine.compile("parseXml(x)").run({"x": big}, thread=thread)
    assert thread.steps > 5000


@given(
    st.lists(
        st.text(
            alphabet=st.characters(
                blacklist_categories=["Cs", "Cc"], blacklist_characters="\ufffe\uffff"
            ),
            max_size=20,
        ),
        max_size=8,
    )
)
def test_text_survives_escaping(values: list[str]) -> None:
    from xml.sax.saxutils import escape

    doc = "<r>" + "".join(f"<v>{escape(v)}</v>" for v in values) + "</r>"
    root = parse_xml(doc)
    assert [e.jexl_get("text") for e in root.select("v")] == [v.strip() for v in values]
    assert isinstance(root, XmlElement)
    assert to_string(root) == "<r>"


NAMES = st.sampled_from(["a", "b", "c"])


@st.composite
def trees(draw: Any, depth: int = 0) -> str:
    name = draw(NAMES)
    if depth >= 3:
        return f"<{name}>{draw(st.integers(0, 9))}</{name}>"
    kids = draw(st.lists(trees(depth + 1), max_size=3))  # type: ignore[call-arg]
    return f"<{name}>{''.join(kids)}</{name}>"


PATH_STEPS = st.lists(
    st.tuples(st.sampled_from(["/", "//"]), st.sampled_from(["a", "b", "c", "*"]),
              st.sampled_from(["", "[1]", "[2]"])),
    min_size=1,
    max_size=3,
)  # fmt: skip


@given(trees(), PATH_STEPS)
def test_paths_find_what_elementtree_finds(doc: str, steps: list[tuple[str, str, str]]) -> None:
    # ElementTree counts '*[n]' among siblings of the same name, XPath among all: not compared
    path = "".join(sep + name + ("" if name == "*" else index) for sep, name, index in steps)
    path = path.removeprefix("/") if not path.startswith("//") else path  # relative
    root = parse_xml(doc)
    found = [e.elem for e in root.select(path)]
    # the same elements as ElementTree's findall (which does not always keep document
    # order), each once, in document order as XPath gives them
    reference = root.elem.findall(("." + path) if path.startswith("//") else path)
    assert {id(e) for e in found} == {id(e) for e in reference}
    position = {id(e): i for i, e in enumerate(root.elem.iter())}
    assert [position[id(e)] for e in found] == sorted({position[id(e)] for e in found})
