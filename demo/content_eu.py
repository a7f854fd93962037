"""The static content of the European demo: a Berlin MSP billing in EUR, with customers that
receive each e-invoice format (Factur-X, Peppol, XRechnung). Same shape as ``demo.content``.

Every line the demo bills has a tax rate with a VAT category (an e-invoice needs one per
line): every contract is taxable and every product too. ``SELLER`` and ``VAT`` are stored
through the checks of Admin > Settings and of the tax rate form (``demo.eu``).
"""

from decimal import Decimal

from demo import content as us
from models import BillingPeriod as Period
from models import ContractType as Kind

COMPANY = {
    "company_name": "Spreeblick IT-Service GmbH",
    "address": "Friedrichstraße 123\n10117 Berlin",
    "country": "DE",
    "tax_id": "DE136695976",
    "payment_terms_days": 14,
    "bank_details": (
        "Spreeblick IT-Service GmbH · IBAN DE02 1203 0000 0000 2020 51 · BIC BYLADEM1001 "
        "(demo details)"
    ),
    "invoice_prefix": "RE-",
    "credit_note_prefix": "GS-",
    "invoice_footer": (
        "Spreeblick IT-Service GmbH · Geschäftsführerin: Katrin Vogel · Amtsgericht "
        "Charlottenburg HRB 187654 B · Steuernummer 37/123/45678 · USt-IdNr. DE136695976"
    ),
}

# The seller's e-invoicing details (Admin > Settings), as a user would type them.
SELLER = {
    "legal_name": "Spreeblick IT-Service GmbH",
    "vat_id": "DE 136 695 976",
    "tax_registration": "37/123/45678",
    "registration_number": "HRB 187654 B",
    "endpoint_id": "DE136695976",
    "endpoint_scheme": "9930",
    "iban": "DE02 1203 0000 0000 2020 51",
    "bic": "BYLADEM1001",
    "payment_terms_text": (
        "Zahlbar innerhalb von 14 Tagen ohne Abzug. / Payable within 14 days without deduction."
    ),
    "contact_name": "Katrin Vogel",
    "contact_phone": "+49 30 1234567",
    "contact_email": "buchhaltung@example.com",
}

TECHNICIANS = [
    ("Lena Hoffmann", "lena.hoffmann@example.com"),
    ("Jonas Becker", "jonas.becker@example.com"),
    ("Aylin Demir", "aylin.demir@example.com"),
    ("Tobias Wagner", "tobias.wagner@example.com"),
]

# key: (name, percent, is default)
TAX_RATES = {
    "ust": ("USt 19 %", "19", True),
    "ust7": ("USt 7 %", "7", False),
    "rc": ("Reverse charge", "0", False),
}
# key: (VAT category, exemption reason, VATEX code), checked as the tax rate form does.
VAT = {
    "ust": ("S", "", ""),
    "ust7": ("S", "", ""),
    "rc": ("AE", "Reverse charge", "VATEX-EU-AE"),
}

# The rate names are the ones the seeder knows (weekend, after-hours and remote work).
RATES = [
    ("Standard", "95.00"),
    ("After hours", "142.50"),
    ("Weekend", "190.00"),
    ("Remote", "75.00"),
]

# sku, name, category, price, tax (a key of TAX_RATES: every product is taxable)
PRODUCTS = [
    ("HW-DELL-7010", "Dell OptiPlex 7010 Micro", "Hardware", "899.00", "ust"),
    ("HW-LEN-T14", "Lenovo ThinkPad T14 Gen 4", "Hardware", "1249.00", "ust"),
    ("HW-UBQ-U6PRO", "Ubiquiti UniFi U6 Pro access point", "Hardware", "169.00", "ust"),
    ("HW-SAM-27", 'Samsung 27" business monitor', "Hardware", "219.00", "ust"),
    ("HW-APC-1500", "APC Back-UPS Pro 1500VA", "Hardware", "279.00", "ust"),
    ("HW-CAT6-2", "Cat6 patch cable, 2 m", "Hardware", "5.90", "ust"),
    ("HW-LOG-MK540", "Logitech MK540 keyboard and mouse", "Hardware", "44.99", "ust"),
    ("LIC-M365-BP", "Microsoft 365 Business Premium", "Software licenses", "20.60", "ust"),
    ("LIC-M365-BS", "Microsoft 365 Business Standard", "Software licenses", "11.70", "ust"),
    ("LIC-EDR", "Endpoint detection and response, per device", "Software licenses", "5.50", "ust"),
    (
        "LIC-MAILSEC",
        "Email security and archiving, per mailbox",
        "Software licenses",
        "3.80",
        "ust",
    ),
    ("SVC-WS-SETUP", "New workstation setup", "Services", "140.00", "ust"),
    ("SVC-ONSITE", "On-site visit fee", "Services", "65.00", "ust"),
]

TICKET_PRODUCTS = [
    ("HW-CAT6-2", [2, 4, 6, 10]),
    ("HW-LOG-MK540", [1, 1, 2]),
    ("HW-SAM-27", [1, 2]),
    ("HW-UBQ-U6PRO", [1, 2, 3]),
    ("HW-APC-1500", [1]),
    ("HW-DELL-7010", [1]),
    ("HW-LEN-T14", [1]),
    ("SVC-ONSITE", [1]),
    ("SVC-WS-SETUP", [1, 2]),
]

# description, price, quantity range in tenths, billable
FREE_EXPENSES = [
    ("Mileage to client site (km)", "0.30", (150, 900), True),
    ("Parking, city centre", "8.00", (10, 10), True),
    ("Courier: same-day parts delivery", "29.00", (10, 10), True),
    ("Replacement power adapter, bought locally", "59.90", (10, 10), True),
    ("Cable ties, labels and velcro", "8.50", (10, 10), False),
    ("Loaner laptop wipe and reimage kit", "25.00", (10, 10), False),
]

# As in demo.content, plus: country, vat_id, endpoint_id/endpoint_scheme, buyer_reference and
# einvoice_format (checked as the customer form does), and a project's "tasks" (one closed
# ticket each, all in the last whole month, which bills the project: see demo.eu). A project
# with "months": -2 starts on the first day of that month.
CUSTOMERS = [
    {
        "name": "Brandt & Kühn Maschinenbau GmbH",
        "address": "Industriestraße 42\n12099 Berlin",
        "country": "DE",
        "vat_id": "DE258147369",
        "endpoint_id": "DE258147369",
        "endpoint_scheme": "9930",
        "einvoice_format": "facturx",
        "billing_emails": ["rechnungen.brandtkuehn@example.com"],
        "contracts": [
            {
                "name": "Managed IT - Premium",
                "type": Kind.RETAINER,
                "billing_period": Period.MONTHLY,
                "months": 20,
                "weight": 10,
                "is_default": True,
                "tax": "ust",
                "quantity": Decimal(1),
                "unit_price": "1950.00",
                "services": [("LIC-M365-BP", "18"), ("LIC-EDR", "30")],
            },
            {
                "name": "Endpoint monitoring",
                "type": Kind.PER_UNIT,
                "billing_period": Period.MONTHLY,
                "months": 12,
                "weight": 1,
                "tax": "ust",
                "unit_price": "9.50",
                "unit_label": "device",
                "counts": [(None, 30), (-40, 32), (44, 35)],
            },
        ],
    },
    {
        "name": "Steuerkanzlei Albers & Partner mbB",
        "address": "Kurfürstendamm 200\n10719 Berlin",
        "country": "DE",
        "vat_id": "DE302765193",
        "endpoint_id": "DE302765193",
        "endpoint_scheme": "9930",
        "einvoice_format": "facturx",
        "billing_emails": ["kanzlei.albers@example.com", "it.albers@example.net"],
        "contracts": [
            {
                "name": "Support block, 15 hours",
                "type": Kind.BLOCK_HOURS,
                "billing_period": Period.MONTHLY,
                "months": 8,
                "weight": 12,
                "is_default": True,
                "tax": "ust",
                "block_minutes": 15 * 60,
                "unit_price": "1350.00",
                "overage_rate": "105.00",
                "rollover": True,
                "rates": [("Standard", "90.00"), ("After hours", None)],
            },
        ],
    },
    {
        "name": "Zahnarztpraxis Dr. Yilmaz",
        "address": "Schloßstraße 8\nPraxis im 2. OG\n12163 Berlin",
        "country": "DE",
        "vat_id": "DE147926383",
        "endpoint_id": "DE147926383",
        "endpoint_scheme": "9930",
        "einvoice_format": "facturx",
        "billing_emails": ["praxis.yilmaz@example.com"],
        "contracts": [
            {
                "name": "Time and materials",
                "type": Kind.HOURLY,
                "billing_period": Period.MONTHLY,
                "months": 15,
                "weight": 12,
                "is_default": True,
                "tax": "ust",
                "rounding_minutes": 15,
                "rates": [
                    ("Standard", None),
                    ("After hours", None),
                    ("Weekend", None),
                    ("Remote", None),
                ],
            },
            {
                "name": "Practice Wi-Fi renewal",
                "type": Kind.PROJECT_HOURLY,
                "billing_period": Period.ONCE,
                "months": -2,
                "tax": "ust",
                "rounding_minutes": 15,
                "rates": [("Standard", None), ("After hours", None)],
                "tasks": [
                    "Wi-Fi site survey, treatment rooms",
                    "Mount access points and switches",
                    "Separate guest and practice networks",
                    "Hand over and document the new network",
                ],
            },
        ],
    },
    {
        "name": "Verhaegen Logistics NV",
        "address": "Noorderlaan 147\n2030 Antwerpen",
        "country": "BE",
        "vat_id": "BE0471159286",
        "endpoint_id": "0471159286",
        "endpoint_scheme": "0208",
        "buyer_reference": "PO 4500012345",
        "einvoice_format": "pdf_xml",
        "billing_emails": ["ap.verhaegen@example.com"],
        "contracts": [
            {
                "name": "Managed IT - Remote (Belgium)",
                "type": Kind.RETAINER,
                "billing_period": Period.MONTHLY,
                "months": 10,
                "weight": 7,
                "is_default": True,
                "tax": "rc",
                "quantity": Decimal(1),
                "unit_price": "1400.00",
                "services": [("LIC-M365-BS", "25"), ("LIC-MAILSEC", "25")],
            },
            {
                "name": "Prepaid support fund",
                "type": Kind.BLOCK_MONEY,
                "billing_period": Period.MONTHLY,
                "months": 6,
                "weight": 6,
                "tax": "rc",
                "block_amount": "2500.00",
                "overage_rate": "125.00",
                "rollover": True,
                "rates": [("Standard", "110.00"), ("Remote", "85.00")],
            },
        ],
    },
    {
        "name": "Stadt Weserhafen, Schulamt",
        "address": "Am Markt 1\n28195 Bremen",
        "country": "DE",
        "buyer_reference": "04011000-12345-03",
        "endpoint_id": "04011000-12345-03",
        "endpoint_scheme": "0204",
        "einvoice_format": "pdf_xml",
        "billing_emails": ["e-rechnung.schulamt@example.net"],
        "contracts": [
            {
                "name": "School devices, managed",
                "type": Kind.PER_UNIT,
                "billing_period": Period.MONTHLY,
                "months": 18,
                "weight": 5,
                "is_default": True,
                "tax": "ust",
                "unit_price": "7.50",
                "unit_label": "device",
                "counts": [(None, 180), (30, 210)],
            },
            {
                "name": "Network for Deichschule primary school",
                "type": Kind.PROJECT_FIXED,
                "billing_period": Period.ONCE,
                "months": -2,
                "tax": "ust",
                "fixed_amount": "6800.00",
                "tasks": [
                    "Cable the new classrooms",
                    "Install the school switch and firewall",
                    "Set up classroom Wi-Fi",
                    "Hand over to the school's IT officer",
                ],
            },
        ],
    },
]

TICKET_TITLES = [t for t in us.TICKET_TITLES if "QuickBooks" not in t] + [
    "DATEV will not open the client files",
    "E-invoices from a supplier land in spam",
]
TICKET_SOURCES = us.TICKET_SOURCES
SUPPORT_MINUTES = us.SUPPORT_MINUTES
PROJECT_MINUTES = us.PROJECT_MINUTES
WHOLE_MINUTES = us.WHOLE_MINUTES
TIME_NOTES = us.TIME_NOTES
INTERNAL_NOTES = us.INTERNAL_NOTES
