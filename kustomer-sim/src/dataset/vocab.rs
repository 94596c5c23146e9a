//! Word lists the generator draws realistic values from.

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Jane", "John", "Amara", "Luis", "Mei", "Olga", "Noah", "Priya", "Kwame", "Sofia", "Liam", "Yuki", "Fatima",
    "Mateo", "Chloé", "Björn", "Aisha", "Diego", "Hannah", "Ravi", "Zoë", "Omar", "Ingrid", "Tomás",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Doe",
    "Smith",
    "Okafor",
    "García",
    "Chen",
    "Ivanova",
    "Müller",
    "Patel",
    "Mensah",
    "Rossi",
    "O'Brien",
    "Tanaka",
    "Haddad",
    "López",
    "Dubois",
    "Lindqvist",
    "Khan",
    "Silva",
    "Novak",
    "Nguyen",
    "Kowalski",
    "Schmidt",
];

pub(crate) const EMAIL_DOMAINS: &[&str] = &[
    "example.com",
    "mail.example",
    "inbox.example",
    "post.example",
    "example.org",
];

pub(crate) const COMPANY_NAMES: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Goods",
    "Wayne Supply",
    "Tyrell",
    "Soylent",
    "Vandelay Imports",
    "Pied Piper",
    "Cyberdyne",
    "Wonka Sweets",
    "Oceanic",
];

/// `(address, cityName, regionCode, zipCode, countryCode, countryName, lat, lon, timeZone, locale)`.
pub(crate) type Place = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    &'static str,
    &'static str,
);

pub(crate) const PLACES: &[Place] = &[
    (
        "530 7th Ave",
        "New York",
        "NY",
        "10018",
        "US",
        "United States",
        40.7527,
        -73.9888,
        "America/New_York",
        "en_US",
    ),
    (
        "1 Market St",
        "San Francisco",
        "CA",
        "94105",
        "US",
        "United States",
        37.7941,
        -122.3951,
        "America/Los_Angeles",
        "en_US",
    ),
    (
        "10 Downing St",
        "London",
        "ENG",
        "SW1A 2AA",
        "GB",
        "United Kingdom",
        51.5034,
        -0.1276,
        "Europe/London",
        "en_GB",
    ),
    (
        "Unter den Linden 77",
        "Berlin",
        "BE",
        "10117",
        "DE",
        "Germany",
        52.5163,
        13.3777,
        "Europe/Berlin",
        "de_DE",
    ),
    (
        "Calle de Alcalá 42",
        "Madrid",
        "MD",
        "28014",
        "ES",
        "Spain",
        40.4189,
        -3.6969,
        "Europe/Madrid",
        "es_ES",
    ),
    (
        "Rua Augusta 1500",
        "São Paulo",
        "SP",
        "01304-001",
        "BR",
        "Brazil",
        -23.5558,
        -46.6624,
        "America/Sao_Paulo",
        "pt_BR",
    ),
    (
        "MG Road 12",
        "Bengaluru",
        "KA",
        "560001",
        "IN",
        "India",
        12.9756,
        77.6050,
        "Asia/Kolkata",
        "en_IN",
    ),
    (
        "1-1 Marunouchi",
        "Tokyo",
        "13",
        "100-0005",
        "JP",
        "Japan",
        35.6812,
        139.7671,
        "Asia/Tokyo",
        "ja_JP",
    ),
    (
        "200 George St",
        "Sydney",
        "NSW",
        "2000",
        "AU",
        "Australia",
        -33.8651,
        151.2070,
        "Australia/Sydney",
        "en_AU",
    ),
];

pub(crate) const SUBJECTS: &[&str] = &[
    "Where is my order?",
    "Refund request",
    "Wrong size delivered",
    "Can't log in",
    "Change shipping address",
    "Item arrived damaged",
    "Question about my invoice",
    "Cancel my subscription",
    "Discount code not working",
    "Re: Your order has shipped",
    "Übergrößen verfügbar?",
    "¿Dónde está mi pedido?",
];

pub(crate) const INBOUND_TEXTS: &[&str] = &[
    "Hi, order #{n} has not arrived yet. Can you check?",
    "I was charged twice for order {n}, please refund one.",
    "The hoodie I got is an M, I ordered an L.",
    "I keep getting \"invalid password\" even after a reset.",
    "Please send order {n} to my new address instead.",
    "The box was crushed and the mug inside is broken 😞",
    "Could you resend the invoice for {n}? Our accounts team needs it.",
    "Please cancel my plan at the end of this month.",
];

pub(crate) const OUTBOUND_TEXTS: &[&str] = &[
    "Thanks for reaching out! I've checked order {n} and it is on its way.",
    "Sorry about that. I've issued a refund, you'll see it in 3–5 business days.",
    "I've arranged an exchange; a prepaid label is attached.",
    "I've reset your account, please try again and let me know.",
    "Done: your order now ships to the new address.",
    "So sorry! A replacement is on the way, no need to return the broken one.",
];

pub(crate) const NOTE_TEXTS: &[&str] = &[
    "Customer is a repeat buyer, approve the refund.",
    "Escalating to logistics, carrier lost the parcel.",
    "Checked Shopify: payment captured twice, refund one.",
    "VIP, handle with care.",
    "Waiting on warehouse photos before replacing.",
    "Possible fraud: billing and shipping countries differ.",
];

pub(crate) const TAG_NAMES: &[&str] = &[
    "vip",
    "refund",
    "shipping",
    "damaged",
    "billing",
    "login",
    "wismo",
    "exchange",
    "fraud-check",
    "escalated",
    "bug",
    "feedback",
    "spam",
    "returns",
    "warranty",
    "wholesale",
];

pub(crate) const COLORS: &[&str] = &[
    "#e53935", "#8e24aa", "#3949ab", "#039be5", "#00897b", "#7cb342", "#fdd835", "#fb8c00",
];

pub(crate) const TEAM_NAMES: &[&str] = &[
    "Tier 1",
    "Tier 2",
    "Billing",
    "Logistics",
    "VIP Desk",
    "Night Shift",
    "Returns",
    "Social",
];

pub(crate) const SHORTCUT_NAMES: &[&str] = &[
    "Greeting",
    "Refund issued",
    "Order shipped",
    "Address changed",
    "Password reset",
    "Exchange label",
    "Closing",
    "Escalation",
    "Apology",
    "Holiday hours",
];

pub(crate) const INTENTS: &[&str] = &[
    "wismo",
    "refund",
    "exchange",
    "login",
    "address_change",
    "damaged",
    "invoice",
    "cancel",
];

pub(crate) const LANGS: &[&str] = &["en", "en", "en", "es", "de", "fr", "pt"];
