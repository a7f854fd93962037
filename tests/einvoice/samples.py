"""Documents for the validation tests: the official Peppol examples and a small CII invoice.

``MINIMAL_CII`` is the smallest EN 16931 CII invoice we found that passes the CII D16B XSD, the
CEN CII rules and the Factur-X 1.09 EN 16931 rules with no finding at all: one services line,
12 h at 95.00, 19 % standard-rated VAT, so 1140.00 + 216.60 = 1356.60. Element order follows the
D16B sequences (the XSD rejects anything else).
"""

from pathlib import Path

from lxml import etree

from tests.einvoice.validation import ARTEFACTS

PEPPOL_EXAMPLES = ARTEFACTS / "peppol-bis-invoice-3/2026.5/examples/billing"

UBL_NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}

MINIMAL_CII = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>MSP-2026-0117</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime>
      <udt:DateTimeString format="102">20261130</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument>
        <ram:LineID>1</ram:LineID>
      </ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct>
        <ram:Name>On-site support, November</ram:Name>
      </ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice>
          <ram:ChargeAmount>95.00</ram:ChargeAmount>
        </ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="HUR">12</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode>
          <ram:CategoryCode>S</ram:CategoryCode>
          <ram:RateApplicablePercent>19</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>1140.00</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Nordlicht IT Services GmbH</ram:Name>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>50667</ram:PostcodeCode>
          <ram:LineOne>Domkloster 4</ram:LineOne>
          <ram:CityName>Koeln</ram:CityName>
          <ram:CountryID>DE</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">DE123456788</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>Praxis am Ring</ram:Name>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>50672</ram:PostcodeCode>
          <ram:LineOne>Hohenzollernring 12</ram:LineOne>
          <ram:CityName>Koeln</ram:CityName>
          <ram:CountryID>DE</ram:CountryID>
        </ram:PostalTradeAddress>
      </ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery>
      <ram:ActualDeliverySupplyChainEvent>
        <ram:OccurrenceDateTime>
          <udt:DateTimeString format="102">20261127</udt:DateTimeString>
        </ram:OccurrenceDateTime>
      </ram:ActualDeliverySupplyChainEvent>
    </ram:ApplicableHeaderTradeDelivery>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>216.60</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>1140.00</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>19</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime>
          <udt:DateTimeString format="102">20261230</udt:DateTimeString>
        </ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>1140.00</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>1140.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">216.60</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>1356.60</ram:GrandTotalAmount>
        <ram:DuePayableAmount>1356.60</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def peppol_examples() -> list[Path]:
    """The official Peppol BIS Billing examples whose root is a UBL Invoice or CreditNote."""
    roots = {f"{{{UBL_NS['inv']}}}Invoice", f"{{{UBL_NS['cn']}}}CreditNote"}
    paths = sorted(PEPPOL_EXAMPLES.glob("*.xml"))
    return [p for p in paths if etree.parse(str(p)).getroot().tag in roots]


def edit(xml: bytes, namespaces: dict[str, str], change) -> bytes:
    """``xml`` re-serialised after ``change(root, xpath)`` edited its tree; ``xpath(expr)``
    returns the one element ``expr`` selects, and fails the test if it selects any other number."""
    root = etree.fromstring(xml)

    def xpath(expr: str):
        found = root.xpath(expr, namespaces=namespaces)
        assert len(found) == 1, f"{expr} selects {len(found)} elements, not 1"
        return found[0]

    change(root, xpath)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
