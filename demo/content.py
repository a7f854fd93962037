"""The static content of the demo: a fictional MSP, its catalog, customers and their contracts.

Money is written as decimal strings in the customer's (or the company's) currency and turned into
minor units by ``demo.build``; counts and dates are relative to the demo's three-month window.
"""

from decimal import Decimal

from models import BillingPeriod as Period
from models import ContractType as Kind

COMPANY = {
    "company_name": "Copperline Technology Partners, LLC",
    "address": "1400 Commerce Street, Suite 210\nAustin, TX 78701\nUnited States",
    "country": "US",
    "tax_id": "EIN 74-3198265",
    "payment_terms_days": 30,
    "bank_details": (
        "ACH / wire: Lone Star Community Bank\n"
        "Account name: Copperline Technology Partners, LLC\n"
        "Routing 000000000 · Account 0000123456 (demo details)"
    ),
    "invoice_prefix": "INV-",
    "invoice_footer": (
        "Thank you for your business. Payment is due within 30 days; "
        "questions about this invoice: billing@example.com or (512) 555-0142."
    ),
}

TECHNICIANS = [
    ("Maria Lopez", "maria.lopez@example.com"),
    ("Devon Carter", "devon.carter@example.com"),
    ("Priya Nair", "priya.nair@example.com"),
    ("Sam Okafor", "sam.okafor@example.com"),
]

# key: (name, percent, is default)
TAX_RATES = {
    "sales": ("Sales tax 8.25%", "8.25", True),
    "hardware": ("Hardware tax 6.5%", "6.5", False),
}

# name, hourly price
RATES = [
    ("Standard", "125.00"),
    ("After hours", "187.50"),
    ("Weekend", "250.00"),
    ("Remote", "95.00"),
]

# sku, name, category, price, tax ("sales", "hardware" or None: not taxable)
PRODUCTS = [
    ("HW-DELL-7010", "Dell OptiPlex 7010 Micro", "Hardware", "1049.00", "hardware"),
    ("HW-LEN-T14", "Lenovo ThinkPad T14 Gen 4", "Hardware", "1389.00", "hardware"),
    ("HW-UBQ-U6PRO", "Ubiquiti UniFi U6 Pro access point", "Hardware", "159.00", "hardware"),
    ("HW-SAM-27", 'Samsung 27" business monitor', "Hardware", "229.00", "hardware"),
    ("HW-APC-1500", "APC Back-UPS Pro 1500VA", "Hardware", "289.00", "hardware"),
    ("HW-CAT6-7", "Cat6 patch cable, 7 ft", "Hardware", "6.50", "hardware"),
    ("HW-LOG-MK540", "Logitech MK540 keyboard and mouse", "Hardware", "49.99", "hardware"),
    ("LIC-M365-BP", "Microsoft 365 Business Premium", "Software licenses", "22.00", "sales"),
    ("LIC-M365-BS", "Microsoft 365 Business Standard", "Software licenses", "12.50", "sales"),
    ("LIC-S1-CTRL", "SentinelOne Control, per endpoint", "Software licenses", "6.00", "sales"),
    (
        "LIC-MAILSEC",
        "Email security and archiving, per mailbox",
        "Software licenses",
        "4.00",
        "sales",
    ),
    ("SVC-WS-SETUP", "New workstation setup", "Services", "150.00", None),
    ("SVC-ONSITE", "On-site visit fee", "Services", "75.00", None),
]

# Hardware that gets used on tickets (sku, the usual quantities).
TICKET_PRODUCTS = [
    ("HW-CAT6-7", [2, 4, 6, 10]),
    ("HW-LOG-MK540", [1, 1, 2]),
    ("HW-SAM-27", [1, 2]),
    ("HW-UBQ-U6PRO", [1, 2, 3]),
    ("HW-APC-1500", [1]),
    ("HW-DELL-7010", [1]),
    ("HW-LEN-T14", [1]),
    ("SVC-ONSITE", [1]),
    ("SVC-WS-SETUP", [1, 2]),
]

# description, price, quantity range in tenths (mileage is fractional), billable
FREE_EXPENSES = [
    ("Mileage to client site (miles)", "0.67", (120, 640), True),
    ("Parking downtown", "12.00", (10, 10), True),
    ("Courier: same-day parts delivery", "38.50", (10, 10), True),
    ("Replacement power adapter, bought locally", "64.99", (10, 10), True),
    ("Cable ties, labels and velcro", "9.75", (10, 10), False),
    ("Loaner laptop wipe and reimage kit", "25.00", (10, 10), False),
]

# A customer's keys are Customer columns (billing_emails a list) plus its contracts. A contract's
# keys are Contract columns, money as decimal strings in the customer's currency ("unit_price",
# "block_amount", "overage_rate", "fixed_amount"), and: months (it started this many months
# before the window), weight (its share of the support tickets; none or 0: none), tax (key of
# TAX_RATES), ended (before the window), rates ((rate name, contract price or None), the first
# one primary), services ((sku, quantity)), counts ((days after the window start, or None for the
# contract's start, count)), titles (a project's tasks: one ticket each, in this order).
CUSTOMERS = [
    {
        "name": "Harbor Dental Group",
        "address": "2210 Bay Shore Drive\nCorpus Christi, TX 78404",
        "billing_emails": ["accounts.harbordental@example.com", "office.harbordental@example.net"],
        "contracts": [
            {
                "name": "Managed IT - Gold",
                "type": Kind.RETAINER,
                "billing_period": Period.MONTHLY,
                "months": 26,
                "weight": 10,
                "is_default": True,
                "tax": "sales",
                "quantity": Decimal(1),
                "unit_price": "2450.00",
                "services": [("LIC-M365-BP", "15"), ("LIC-S1-CTRL", "28")],
            },
            {
                "name": "Endpoint monitoring",
                "type": Kind.PER_UNIT,
                "billing_period": Period.MONTHLY,
                "months": 14,
                "weight": 1,
                "tax": "sales",
                "unit_price": "12.00",
                "unit_label": "device",
                "counts": [(None, 24), (-40, 26), (44, 29)],
            },
        ],
    },
    {
        "name": "Pinecrest Family Medicine",
        "address": "845 Pinecrest Road\nRound Rock, TX 78664",
        "billing_emails": ["billing.pinecrest@example.com"],
        "contracts": [
            {
                "name": "Support block, 20 hours",
                "type": Kind.BLOCK_HOURS,
                "billing_period": Period.MONTHLY,
                "months": 9,
                "weight": 12,
                "is_default": True,
                "block_minutes": 20 * 60,
                "unit_price": "2300.00",
                "overage_rate": "135.00",
                "rollover": True,
                "rates": [("Standard", "115.00"), ("After hours", None)],
            },
            {
                "name": "Per-user helpdesk",
                "type": Kind.PER_UNIT,
                "billing_period": Period.MONTHLY,
                "months": 9,
                "weight": 2,
                "tax": "sales",
                "unit_price": "35.00",
                "unit_label": "user",
                "counts": [(None, 38), (50, 42)],
            },
        ],
    },
    {
        "name": "Lakeside Law Partners LLP",
        "address": "300 West 6th Street, Floor 14\nAustin, TX 78701",
        "billing_emails": ["ap.lakesidelaw@example.com", "it.lakesidelaw@example.com"],
        "contracts": [
            {
                "name": "Managed IT - Platinum",
                "type": Kind.RETAINER,
                "billing_period": Period.MONTHLY,
                "months": 31,
                "weight": 11,
                "is_default": True,
                "tax": "sales",
                "quantity": Decimal(1),
                "unit_price": "3200.00",
                "services": [("LIC-M365-BS", "22"), ("LIC-MAILSEC", "22")],
            },
            {
                "name": "Server room refresh",
                "type": Kind.PROJECT_FIXED,
                "billing_period": Period.ONCE,
                "months": 1,
                "tax": "sales",
                "fixed_amount": "8500.00",
                "titles": [
                    "Rack and cable new server room",
                    "Migrate file shares to new NAS",
                    "Install UPS and PDU",
                    "Decommission old domain controller",
                    "Document server room and hand over",
                ],
            },
        ],
    },
    {
        "name": "Brightline Logistics",
        "address": "7700 Industrial Parkway\nSan Marcos, TX 78666",
        "billing_emails": ["payables.brightline@example.com"],
        "contracts": [
            {
                "name": "Break/fix support",
                "type": Kind.HOURLY,
                "billing_period": Period.MONTHLY,
                "months": 18,
                "weight": 12,
                "is_default": True,
                "rounding_minutes": 15,
                "rates": [
                    ("Standard", None),
                    ("After hours", None),
                    ("Weekend", None),
                    ("Remote", None),
                ],
            },
            {
                "name": "Warehouse Wi-Fi rollout",
                "type": Kind.PROJECT_HOURLY,
                "billing_period": Period.ONCE,
                "months": 1,
                "rounding_minutes": 15,
                "rates": [("Standard", None), ("After hours", None)],
                "titles": [
                    "Wi-Fi site survey, warehouse A",
                    "Mount access points, dock area",
                    "Configure VLANs for scanners",
                    "Heat map and handheld testing",
                    "Cut over scanners to new SSID",
                ],
            },
        ],
    },
    {
        "name": "Summit Ridge Accounting",
        "address": "1120 Summit Ridge Blvd, Suite 5\nCedar Park, TX 78613",
        "billing_emails": ["office.summitridge@example.com"],
        "contracts": [
            {
                "name": "Prepaid support fund",
                "type": Kind.BLOCK_MONEY,
                "billing_period": Period.QUARTERLY,
                "months": 7,
                "weight": 10,
                "is_default": True,
                "block_amount": "5000.00",
                "overage_rate": "165.00",
                "rollover": True,
                "rates": [("Standard", "150.00"), ("Remote", "110.00")],
            },
        ],
    },
    {
        "name": "Oakwood Community Church",
        "address": "52 Oakwood Lane\nGeorgetown, TX 78626",
        "billing_emails": ["treasurer.oakwood@example.net"],
        "tax_exempt": True,
        "contracts": [
            {
                "name": "On-demand support (nonprofit rate)",
                "type": Kind.HOURLY,
                "billing_period": Period.ON_DEMAND,
                "months": 22,
                "weight": 6,
                "is_default": True,
                "rounding_minutes": 15,
                "rates": [("Standard", "110.00"), ("Remote", "80.00")],
            },
        ],
    },
    {
        "name": "Maple & Birch Architects Inc.",
        "address": "410 Adelaide Street West, Suite 300\nToronto, ON M5V 1S8\nCanada",
        "billing_emails": ["accounts.maplebirch@example.com"],
        "currency": "CAD",
        "contracts": [
            {
                "name": "Managed IT - Essentials (CAD)",
                "type": Kind.RETAINER,
                "billing_period": Period.MONTHLY,
                "months": 12,
                "weight": 6,
                "is_default": True,
                "quantity": Decimal(1),
                "unit_price": "1850.00",
            },
            {
                "name": "Out-of-scope work (CAD)",
                "type": Kind.HOURLY,
                "billing_period": Period.MONTHLY,
                "months": 12,
                "weight": 3,
                "rounding_minutes": 15,
                "rates": [("Standard", "165.00"), ("After hours", "245.00")],
            },
        ],
    },
    {
        "name": "Riverbend Veterinary Clinic",
        "address": "19 Riverbend Road\nNew Braunfels, TX 78130",
        "billing_emails": ["manager.riverbendvet@example.com", "dr.hale.riverbend@example.net"],
        "contracts": [
            {
                "name": "Time and materials",
                "type": Kind.HOURLY,
                "billing_period": Period.MONTHLY,
                "months": 16,
                "weight": 9,
                "is_default": True,
                "rounding_minutes": 15,
                "rates": [("Standard", None), ("Remote", None), ("Weekend", None)],
            },
        ],
    },
    {
        "name": "Cobalt Creative Studio",
        "address": "1801 East Cesar Chavez Street\nAustin, TX 78702",
        "billing_emails": ["studio.cobalt@example.com"],
        "contracts": [
            {
                "name": "Managed IT - Essentials",
                "type": Kind.RETAINER,
                "billing_period": Period.QUARTERLY,
                "months": 8,
                "weight": 6,
                "is_default": True,
                "tax": "sales",
                "quantity": Decimal(3),
                "unit_price": "900.00",
            },
            {
                "name": "Mac fleet upgrade",
                "type": Kind.PROJECT_HOURLY,
                "billing_period": Period.ONCE,
                "months": 1,
                "rounding_minutes": 30,
                "rates": [("Standard", None), ("Weekend", None)],
                "titles": [
                    "Inventory Macs and check upgrade eligibility",
                    "Upgrade design workstations to macOS Sequoia",
                    "Re-enrol Macs in device management",
                    "Fix Adobe licensing after upgrade",
                ],
            },
        ],
    },
    {
        "name": "Greenfield Property Management",
        "address": "6001 Airport Blvd, Building C\nAustin, TX 78752",
        "billing_emails": ["accounting.greenfieldpm@example.com"],
        "contracts": [
            {
                "name": "Managed endpoints",
                "type": Kind.PER_UNIT,
                "billing_period": Period.MONTHLY,
                "months": 20,
                "weight": 3,
                "is_default": True,
                "tax": "sales",
                "unit_price": "14.00",
                "unit_label": "device",
                "counts": [(None, 48), (-75, 55)],
            },
            {
                "name": "Support block, 10 hours",
                "type": Kind.BLOCK_HOURS,
                "billing_period": Period.MONTHLY,
                "months": 6,
                "weight": 8,
                "block_minutes": 10 * 60,
                "unit_price": "1150.00",
                "overage_rate": "140.00",
                "rollover": False,
                "rates": [("Standard", None)],
            },
        ],
    },
    {
        "name": "Northstar Manufacturing Co.",
        "address": "2500 Northstar Drive\nTaylor, TX 76574",
        "billing_emails": ["ap.northstar@example.com", "plant.it.northstar@example.net"],
        "contracts": [
            {
                "name": "Plant floor support",
                "type": Kind.HOURLY,
                "billing_period": Period.MONTHLY,
                "months": 28,
                "weight": 11,
                "is_default": True,
                "rounding_minutes": 15,
                "rates": [("Standard", None), ("After hours", None), ("Weekend", None)],
            },
            {
                "name": "Firewall replacement",
                "type": Kind.PROJECT_FIXED,
                "billing_period": Period.ONCE,
                "months": 1,
                "tax": "sales",
                "fixed_amount": "4200.00",
                "titles": [
                    "Stage and license new firewalls",
                    "Migrate firewall rules and VPNs",
                    "Cut-over weekend: firewall swap",
                    "Post cut-over tuning",
                ],
            },
        ],
    },
    {
        "name": "Alder Street Bakery",
        "address": "77 Alder Street\nLockhart, TX 78644",
        "billing_emails": ["owner.alderbakery@example.com"],
        "active": False,
        "contracts": [
            {
                "name": "Break/fix support",
                "type": Kind.HOURLY,
                "billing_period": Period.MONTHLY,
                "months": 30,
                "is_default": True,
                "rounding_minutes": 15,
                "ended": True,
                "rates": [("Standard", None)],
            },
        ],
    },
]

TICKET_TITLES = [
    "Outlook keeps asking for the password",
    "Printer on the second floor is offline",
    "New hire onboarding: accounts and laptop",
    "Staff departure: disable accounts, keep mailbox",
    "VPN drops every few minutes",
    "Shared drive mapping missing after reboot",
    "Phishing email reported by front desk",
    "Laptop battery swelling, needs replacement",
    "Teams calls echo in the conference room",
    "Slow Wi-Fi in the back office",
    "Scanner to email stopped working",
    "Backup job failed overnight",
    "Windows updates stuck at 0%",
    "Replace failing hard drive in reception PC",
    "Set up a second monitor",
    "MFA reset for a user with a new phone",
    "QuickBooks desktop will not open the company file",
    "Firewall alert: repeated failed logins",
    "Calendar permissions for an assistant",
    "Move the office printer to a new IP",
    "Password manager rollout questions",
    "Antivirus quarantined a line-of-business app",
    "Server disk space warning",
    "Website contact form email not arriving",
    "Upgrade RAM on the design workstation",
    "Door access system lost network",
    "Mailbox full, set up an archive",
    "Remote desktop to the office PC fails",
    "Install the new accounting software update",
    "UPS beeping in the network closet",
]

TICKET_SOURCES = [
    "Reported by phone.",
    "Reported by email to the helpdesk.",
    "Raised by an RMM alert.",
    "Reported through the client portal.",
    "Reported on site during a scheduled visit.",
]

# Lengths of time entries (support tickets, project tasks) and the minutes past the hour of a
# timestamp, repeated where they are more likely.
SUPPORT_MINUTES = [5, 10, 15, 15, 15, 20, 30, 30, 30, 45, 45, 60, 60, 75, 90, 120, 180]
PROJECT_MINUTES = [60, 90, 120, 120, 180, 240]
WHOLE_MINUTES = [0, 5, 10, 15, 20, 30, 40, 45, 50]

TIME_NOTES = [
    "Remote session: diagnosed and fixed",
    "Called the user, walked through the fix",
    "On site: replaced the part and tested",
    "Checked logs, applied the vendor fix",
    "Reconfigured settings and confirmed with the user",
    "Researched the error, opened a vendor case",
    "Follow-up: confirmed the issue has not recurred",
    "Updated drivers and firmware",
    "Rebuilt the profile and restored data",
    "Escalated and worked with the ISP",
]

INTERNAL_NOTES = [
    "Internal: updated documentation",
    "Travel time (not billed)",
    "Internal review with a senior tech",
    "Goodwill: repeat visit for our own mistake",
]
