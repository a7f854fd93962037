"""Word lists for the benchmark data: varied customer names, ticket subjects and notes."""

NAME_FIRST = [
    "Harbor", "Pinecrest", "Lakeside", "Summit", "Riverbend", "Oakridge", "Bluebonnet", "Cedar",
    "Northgate", "Sterling", "Granite", "Willow", "Redwood", "Meridian", "Silverline", "Canyon",
    "Prairie", "Bayview", "Ironwood", "Maple", "Crescent", "Highland", "Evergreen", "Coastal",
    "Lone Star", "Keystone", "Westfield", "Brookside", "Falcon", "Juniper", "Magnolia", "Pioneer",
    "Quarry", "Rosewood", "Sagebrush", "Timberline", "Unity", "Vantage", "Wharf", "Zephyr",
]  # fmt: skip
NAME_SECOND = [
    "Dental Group", "Family Medicine", "Law Partners LLP", "Logistics", "Accounting", "Realty",
    "Veterinary Clinic", "Architects", "Insurance Agency", "Credit Union", "Engineering",
    "Property Management", "Orthodontics", "Physical Therapy", "Marketing", "Construction",
    "Wealth Advisors", "Title Company", "Pediatrics", "Manufacturing", "Foods", "Auto Group",
    "Charter School", "Nonprofit Trust", "Hotel & Suites", "Brewing Co.", "Eye Care", "Dermatology",
    "Landscaping", "Electric", "Plumbing & Heating", "Media", "Church", "Pharmacy", "Staffing",
    "Chiropractic", "Freight", "Capital", "Studios", "Outfitters",
]  # fmt: skip
CITIES = [
    ("Austin", "TX", "787"), ("Round Rock", "TX", "786"), ("San Marcos", "TX", "786"),
    ("Corpus Christi", "TX", "784"), ("Georgetown", "TX", "786"), ("Houston", "TX", "770"),
    ("Dallas", "TX", "752"), ("San Antonio", "TX", "782"), ("Waco", "TX", "767"),
]  # fmt: skip
FOREIGN = {
    "EUR": [("Dublin", "Ireland"), ("Amsterdam", "Netherlands"), ("Berlin", "Germany")],
    "GBP": [("London", "United Kingdom"), ("Manchester", "United Kingdom")],
}
STREETS = ["Commerce St", "Main St", "Oak Ave", "Lamar Blvd", "Congress Ave", "Market St"]
TECHNICIANS = [
    "Maria Lopez", "Devon Carter", "Priya Nair", "Sam Okafor", "Lena Fischer", "Marcus Webb",
    "Aiko Tanaka", "Jordan Reyes",
]  # fmt: skip

SUBJECTS = [
    "Outlook keeps asking for the password", "Printer offline", "New hire onboarding",
    "Staff departure: disable accounts", "VPN drops every few minutes", "Shared drive missing",
    "Phishing email reported", "Laptop battery swelling", "Teams calls echo",
    "Slow Wi-Fi", "Scanner to email stopped working", "Backup job failed overnight",
    "Windows updates stuck", "Replace failing hard drive", "Set up a second monitor",
    "MFA reset for a new phone", "QuickBooks will not open the company file",
    "Firewall alert: repeated failed logins", "Calendar permissions for an assistant",
    "Move printer to a new IP", "Password manager rollout", "Antivirus quarantined an app",
    "Server disk space warning", "Contact form email not arriving", "Upgrade RAM",
    "Door access system lost network", "Mailbox full, set up an archive",
    "Remote desktop fails", "Install accounting software update", "UPS beeping",
    "SharePoint permissions", "Migrate mailbox to Microsoft 365", "Replace network switch",
    "Certificate expired on the web server", "Domain renewal", "Wireless survey",
]  # fmt: skip
WHERE = [
    "reception", "front desk", "second floor", "warehouse", "back office", "conference room",
    "branch office", "accounting", "the CEO's laptop", "exam room 3", "shop floor", "lab",
]  # fmt: skip
SOURCES = [
    "Reported by phone.", "Reported by email to the helpdesk.", "Raised by an RMM alert.",
    "Reported through the client portal.", "Reported on site during a scheduled visit.",
]  # fmt: skip
DETAILS = [
    "User cannot work until fixed.", "Happens intermittently since Monday.",
    "Affects several users.", "Started after the last update.", "Low priority, no deadline.",
    "Vendor case may be needed.", "Error code noted in the ticket history.",
]  # fmt: skip
TIME_NOTES = [
    "Remote session: diagnosed and fixed", "Called the user, walked through the fix",
    "On site: replaced the part and tested", "Checked logs, applied the vendor fix",
    "Reconfigured settings and confirmed with the user", "Researched the error",
    "Follow-up: confirmed the issue has not recurred", "Updated drivers and firmware",
    "Rebuilt the profile and restored data", "Escalated and worked with the ISP",
]  # fmt: skip
INTERNAL_NOTES = ["Internal: updated documentation", "Travel time (not billed)", "Internal review"]
PROJECTS = [
    "Server room refresh", "Microsoft 365 migration", "Firewall replacement", "Office move",
    "Wi-Fi upgrade", "Backup and DR overhaul", "Workstation refresh", "Phone system cutover",
]  # fmt: skip
CUSTOM_LINES = [
    "Project work: network documentation", "Consulting: IT roadmap session",
    "Cloud hosting, monthly", "Domain and DNS hosting", "Offsite backup storage, 500 GB",
    "Website maintenance", "Security awareness training", "Vendor management",
]  # fmt: skip
