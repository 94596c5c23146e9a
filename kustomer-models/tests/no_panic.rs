//! Bad input never panics: arbitrary JSON, mutated fixtures, arbitrary
//! custom attributes and pathological nesting all decode to `Ok` or to a
//! `DecodeError` naming where, and whatever decodes flattens into rows that
//! fit their tables.
//!
//! Every table family of [`all_schemas`] is driven from one list
//! ([`targets`]); `every_schema_is_covered` fails when an entity is added to
//! the catalogue without being added here. Runs are deterministic (fixed RNG
//! seed, no failure persistence files).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use kustomer_models::*;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::RngSeed;
use serde::de::IgnoredAny;
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------
// The targets: one per table family, each with its fixture and decoders.
// ---------------------------------------------------------------------------

type Flat = Result<Vec<FlatRecord>, DecodeError>;

/// One table family of the catalogue.
struct Target {
    schema: fn() -> &'static EntitySchema,
    /// The fixture (in `tests/fixtures/`) its natural decoder reads.
    fixture: &'static str,
    /// Where the fixture's records sit (`data`, `included`, …).
    records_at: &'static [&'static str],
    /// Decodes a body of the fixture's shape into flattened records.
    natural: fn(&[u8]) -> Flat,
    /// Every other way a body may be decoded as this entity (a list page, a
    /// single resource, a bare resource, side-loaded `included[]`).
    shapes: fn(&[u8]) -> Vec<Flat>,
}

fn flat_all<E: Entity>(records: Vec<E>) -> Vec<FlatRecord> {
    records.into_iter().map(Entity::flatten).collect()
}

fn page<E: Entity>(b: &[u8]) -> Flat {
    decode::<Page<E>>(b).map(|p| {
        for r in &p.data {
            // Accessors must not panic either.
            let _ = (r.id(), r.kind(), r.updated_at(), r.custom());
        }
        flat_all(p.data)
    })
}

fn included<P: Entity, E: Entity>(b: &[u8]) -> Flat {
    decode::<Page<P>>(b)?.included_of::<E>().map(flat_all)
}

fn shapes<E: Entity>(b: &[u8]) -> Vec<Flat> {
    vec![
        page::<E>(b),
        decode::<Single<E>>(b).map(|s| vec![s.data.flatten()]),
        decode::<E>(b).map(|e| vec![e.flatten()]),
        included::<E, E>(b),
    ]
}

fn outbound_accounts(b: &[u8]) -> Flat {
    outbound_accounts_page(b).map(|p| flat_all(p.data))
}

fn outbound_account_shapes(b: &[u8]) -> Vec<Flat> {
    let mut out = shapes::<OutboundAccount>(b);
    out.push(outbound_accounts(b));
    out
}

fn metadata(b: &[u8]) -> Flat {
    metadata_rows("conversation", b)
}

fn metadata_shapes(b: &[u8]) -> Vec<Flat> {
    vec![metadata(b)]
}

fn events_shapes(b: &[u8]) -> Vec<Flat> {
    vec![webhook_event_rows(b)]
}

/// A JSON:API list entity whose fixture is a page of it.
macro_rules! paged {
    ($( $ty:ty => $fixture:literal ),* $(,)?) => {
        vec![ $( Target {
            schema: <$ty as Entity>::schema,
            fixture: $fixture,
            records_at: &["data"],
            natural: page::<$ty>,
            shapes: shapes::<$ty>,
        }, )* ]
    };
}

/// Every table family of [`all_schemas`], in its order.
fn targets() -> &'static [Target] {
    static TARGETS: LazyLock<Vec<Target>> = LazyLock::new(|| {
        let mut t = paged![
            Customer => "customers",
            Conversation => "conversations",
            Message => "messages",
            Note => "notes",
            Company => "companies",
            KObject => "kobjects",
            User => "users",
            Team => "teams",
            Tag => "tags",
            Shortcut => "shortcuts",
            Klass => "klasses",
            Brand => "brands",
            Card => "cards",
            ShortcutCategory => "shortcut_categories",
            Notification => "notifications",
        ];
        t.push(Target {
            schema: OutboundAccount::schema,
            fixture: "outbound_accounts",
            records_at: &["data"],
            natural: outbound_accounts,
            shapes: outbound_account_shapes,
        });
        t.extend(paged![
            Queue => "queues",
            TeamRoutingSettings => "team_routing_settings",
            Sla => "slas",
        ]);
        t.push(Target {
            schema: SlaVersion::schema,
            fixture: "slas",
            records_at: &["included"],
            natural: included::<Sla, SlaVersion>,
            shapes: shapes::<SlaVersion>,
        });
        t.extend(paged![
            Satisfaction => "satisfactions",
            Snooze => "snoozes",
            SpamSender => "spam_senders",
            BusinessSchedule => "business_schedules",
        ]);
        t.push(Target {
            schema: Holiday::schema,
            fixture: "business_schedules",
            records_at: &["included"],
            natural: included::<BusinessSchedule, Holiday>,
            shapes: shapes::<Holiday>,
        });
        t.extend(paged![
            Assistant => "assistants",
            WorkSession => "work_sessions",
            App => "apps",
            AuthCustomerSettings => "auth_customer_settings",
            AuthRole => "auth_roles",
            AuthToken => "auth_tokens",
            ChatSettings => "chat_settings",
            Setting => "settings",
            Snippet => "snippets",
            CustomerSearch => "customer_searches",
            CustomerSearchPin => "customer_searches_pinned",
            CustomerSearchPositions => "customer_searches_positions",
            EmailHook => "hooks_email",
            WebHook => "hooks_web",
            KbArticle => "kb_articles",
            KbCategory => "kb_categories",
            KbForm => "kb_forms",
            KbRoute => "kb_routes",
            KbTag => "kb_tags",
            KbTemplate => "kb_templates",
            KbTheme => "kb_themes",
            Kview => "kviews",
            OutboundWebhook => "outbound_webhooks",
            OutboundWebhookTransaction => "outbound_webhook_transactions",
            RoutingQueueRule => "routing_queue_rules",
            RoutingStatus => "routing_statuses",
            RoutingWorkItem => "routing_work_items",
            AuditLog => "audit_logs",
            ConversationEvent => "conversation_events",
            ConversationTime => "conversation_times",
            ConversationForward => "conversation_forwards",
            ConversationAttachment => "conversation_attachments",
            CustomerDraft => "customer_drafts",
            CustomerMerge => "customer_merges",
        ]);
        t.push(Target {
            schema: custom_attribute_metadata_schema,
            fixture: "custom_attribute_metadata",
            records_at: &["data", "attributes", "properties"],
            natural: metadata,
            shapes: metadata_shapes,
        });
        t.push(Target {
            schema: outbound_webhook_events_schema,
            fixture: "outbound_webhook_events",
            records_at: &["events"],
            natural: webhook_event_rows,
            shapes: events_shapes,
        });
        t
    });
    &TARGETS
}

fn fixture_path(name: &str) -> String {
    // At run time: a binary reused from another checkout must read this one's fixtures.
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    format!("{dir}/tests/fixtures/{name}.json")
}

/// A fixture, parsed, with every path into it and the records its
/// re-serialized form flattens into (the baseline mutations are compared to).
struct Fixture {
    bytes: Vec<u8>,
    value: Value,
    paths: Vec<Vec<Seg>>,
    baseline: Vec<FlatRecord>,
}

/// The fixtures of [`targets`], in the same order.
fn fixtures() -> &'static [Fixture] {
    static FIXTURES: LazyLock<Vec<Fixture>> = LazyLock::new(|| {
        targets()
            .iter()
            .map(|t| {
                let path = fixture_path(t.fixture);
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
                let value: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
                let mut paths = Vec::new();
                all_paths(&value, &mut Vec::new(), &mut paths);
                let baseline =
                    (t.natural)(&serde_json::to_vec(&value).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", t.fixture));
                assert!(!baseline.is_empty(), "{}: no records", t.fixture);
                Fixture {
                    bytes,
                    value,
                    paths,
                    baseline,
                }
            })
            .collect()
    });
    &FIXTURES
}

#[test]
fn every_schema_is_covered() {
    let covered: Vec<&str> = targets().iter().map(|t| (t.schema)().table.name.as_str()).collect();
    let all: Vec<&str> = all_schemas().iter().map(|s| s.table.name.as_str()).collect();
    assert_eq!(
        covered, all,
        "targets() must list every schema of all_schemas(), in its order"
    );
    // And every fixture is exercised.
    let dir = std::path::Path::new(&fixture_path("x")).parent().unwrap().to_owned();
    let used: BTreeSet<&str> = targets().iter().map(|t| t.fixture).collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".json") {
            assert!(used.contains(stem), "fixture {name} is not mutated by any target");
        }
    }
    // The baselines decode.
    assert_eq!(fixtures().len(), targets().len());
}

// ---------------------------------------------------------------------------
// Checks.
// ---------------------------------------------------------------------------

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x6b75_7374_6f6d_6572),
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

/// Every record has one row per table, each row one cell per column, each
/// cell of its column's type, keys non-NULL and pointing at the record, and
/// JSON cells hold valid JSON.
fn check_rows(schema: &EntitySchema, records: &[FlatRecord]) -> Result<(), TestCaseError> {
    for flat in records {
        prop_assert_eq!(
            flat.children.len(),
            schema.children.len(),
            "{}: child table count",
            &schema.table.name
        );
        prop_assert_eq!(
            &flat.row[0],
            &Cell::Text(flat.id.clone()),
            "{}: id cell",
            &schema.table.name
        );
        let tables = std::iter::once(std::slice::from_ref(&flat.row)).chain(flat.children.iter().map(Vec::as_slice));
        for (def, rows) in schema.tables().zip(tables) {
            for (position, row) in rows.iter().enumerate() {
                prop_assert_eq!(row.len(), def.columns.len(), "{}: row width", &def.name);
                for (cell, col) in row.iter().zip(&def.columns) {
                    prop_assert!(
                        cell.fits(col.ty),
                        "{}.{}: {:?} is not {:?}",
                        def.name,
                        col.name,
                        cell,
                        col.ty
                    );
                    prop_assert!(col.nullable || !cell.is_null(), "{}.{} is NULL", def.name, col.name);
                    if let Cell::Json(text) = cell {
                        prop_assert!(
                            serde_json::from_str::<IgnoredAny>(text).is_ok(),
                            "{}.{}: invalid JSON {:?}",
                            def.name,
                            col.name,
                            text
                        );
                    }
                }
                if def.parent.is_some() {
                    prop_assert_eq!(&row[0], &Cell::Text(flat.id.clone()), "{}: parent key", &def.name);
                    prop_assert_eq!(&row[1], &Cell::Int(position as i64), "{}: _position", &def.name);
                }
            }
        }
    }
    Ok(())
}

/// A decode error names where: a line (1-based) and a JSON path, both in its
/// message.
fn check_error(e: &DecodeError) -> Result<(), TestCaseError> {
    prop_assert!(e.line >= 1, "no position: {e:?}");
    prop_assert!(!e.path.is_empty(), "no path: {e:?}");
    let text = e.to_string();
    prop_assert!(text.contains(&format!("`{}`", e.path)), "path not in {text:?}");
    prop_assert!(text.contains(&format!("line {}", e.line)), "line not in {text:?}");
    Ok(())
}

fn check(t: &Target, result: &Flat) -> Result<(), TestCaseError> {
    match result {
        Ok(records) => check_rows((t.schema)(), records),
        Err(e) => check_error(e),
    }
}

/// Whether `bytes` is not JSON at all.
fn malformed(bytes: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(bytes).is_err()
}

// ---------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------

/// Every object key of every fixture plus the catalogue's resource types, so
/// generated objects hit modelled fields, not only unknown ones.
fn key_pool() -> &'static [String] {
    static POOL: LazyLock<Vec<String>> = LazyLock::new(|| {
        fn walk(v: &Value, out: &mut BTreeSet<String>) {
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        out.insert(k.clone());
                        walk(v, out);
                    }
                }
                Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut keys = BTreeSet::new();
        for f in fixtures() {
            walk(&f.value, &mut keys);
        }
        keys.into_iter().collect()
    });
    &POOL
}

fn resource_types() -> Vec<String> {
    let mut v: Vec<String> = all_schemas().iter().map(|s| s.resource.to_owned()).collect();
    v.extend(["kobject.order".to_owned(), "kobject.".to_owned(), "".to_owned()]);
    v
}

const SPECIAL_STRINGS: &[&str] = &[
    "",
    " ",
    "null",
    "true",
    "0",
    "-1",
    "12",
    "12,5",
    "1e400",
    "-1e-400",
    "99999999999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "1700000000000",
    "2024-03-01T10:00:02.130Z",
    "2024-03-01T10:00:02Z",
    "2024-03-01T10:00:02.130+05:30",
    "2024-02-30T10:00:00Z",
    "2024-03-01",
    "+275760-09-13T00:00:00Z",
    "-271821-04-20T00:00:00Z",
    "9999-12-31T23:59:60Z",
    "0000-01-01T00:00:00Z",
    "5f8efdd5d3de932f344ca367",
    "kustomer.customer.create",
    "a.b",
    "a.b.c.d",
    "...",
    "open",
    "snoozed",
    "done",
    "email",
    "in",
    "out",
    "user",
    "https://example.com/a?b=c#d",
    "\"",
    "\\",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "\u{feff}",
    "\u{fffd}",
    "\u{10ffff}",
    "é",
    "😀",
    "𝄞",
    "\u{202e}rtl",
    "line\nbreak\ttab\r",
];

fn arb_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "(?s).{0,16}",
        2 => select(SPECIAL_STRINGS).prop_map(str::to_owned),
        1 => select(key_pool()),
    ]
    .boxed()
}

fn arb_number() -> BoxedStrategy<Value> {
    prop_oneof![
        select(vec![
            json!(i64::MIN),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(1e308),
            json!(-1e308),
            json!(f64::MAX),
            json!(f64::MIN_POSITIVE),
            json!(5e-324),
            json!(-0.0),
            json!(0),
            json!(0.5),
            json!(1.5),
            json!(9.0e15),
            json!(8_640_000_000_000_000i64),
            json!(8_640_000_000_000_001i64),
        ]),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Non-finite floats become `null`.
        any::<f64>().prop_map(Value::from),
        (-10i64..10).prop_map(Value::from),
        (0i64..4_000_000_000_000).prop_map(Value::from),
    ]
    .boxed()
}

/// A custom attribute name: a stem and a suffix, typed or not.
fn arb_custom_key() -> BoxedStrategy<String> {
    let stems = select(vec![
        "a",
        "loyaltyTier",
        "x1",
        "",
        "A",
        "ü",
        "total9",
        "_",
        "Z",
        "placed",
    ]);
    let suffixes = select(vec![
        "Str", "Txt", "Num", "At", "Bool", "Url", "Tree", "Id", "Foo", "", "at", "STR", "num", "StrAt",
    ]);
    prop_oneof![
        4 => (stems, suffixes.clone()).prop_map(|(s, x)| format!("{s}{x}")),
        1 => ("(?s).{0,8}", suffixes).prop_map(|(s, x)| format!("{s}{x}")),
    ]
    .boxed()
}

fn arb_key() -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(key_pool()),
        1 => arb_string(),
        1 => arb_custom_key(),
    ]
    .boxed()
}

fn arb_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => arb_number(),
        3 => arb_string().prop_map(Value::String),
    ]
    .boxed()
}

fn object(pairs: Vec<(String, Value)>) -> Value {
    Value::Object(pairs.into_iter().collect())
}

/// Any JSON value, nested up to depth 6.
fn arb_json() -> BoxedStrategy<Value> {
    arb_leaf()
        .prop_recursive(6, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((arb_key(), inner), 0..6).prop_map(object),
            ]
        })
        .boxed()
}

/// A relationship in any of its shapes, or anything.
fn arb_relationship() -> BoxedStrategy<Value> {
    let ident = (arb_json(), arb_json()).prop_map(|(t, id)| json!({"type": t, "id": id}));
    let id = "[0-9a-f]{24}".prop_map(|id| json!({"type": "user", "id": id}));
    prop_oneof![
        2 => id.clone().prop_map(|d| json!({"data": d})),
        1 => prop::collection::vec(prop_oneof![id, ident.clone(), arb_leaf()], 0..4).prop_map(|d| json!({"data": d})),
        1 => ident.prop_map(|d| json!({"data": d})),
        1 => arb_json().prop_map(|l| json!({"links": l})),
        1 => arb_json().prop_map(|l| json!({"link": {"self": l}})),
        1 => (arb_json(), arb_json()).prop_map(|(d, m)| json!({"data": d, "meta": m})),
        1 => arb_json(),
    ]
    .boxed()
}

/// A JSON:API resource of any catalogue type with arbitrary members, or
/// anything at all.
fn arb_resource() -> BoxedStrategy<Value> {
    let kind = prop_oneof![4 => select(resource_types()).prop_map(Value::String), 1 => arb_json()];
    let id = prop_oneof![4 => "[0-9a-f]{24}".prop_map(Value::String), 1 => arb_json()];
    let attributes = prop_oneof![
        4 => prop::collection::vec((arb_key(), arb_json()), 0..10).prop_map(object),
        1 => arb_json(),
    ];
    let relationships = prop_oneof![
        4 => prop::collection::vec((arb_key(), arb_relationship()), 0..4).prop_map(object),
        1 => arb_json(),
    ];
    let resource = (
        prop::option::weighted(0.9, kind),
        prop::option::weighted(0.9, id),
        prop::option::weighted(0.9, attributes),
        prop::option::of(relationships),
        prop::option::of(arb_json()),
        prop::option::of((arb_key(), arb_json())),
    )
        .prop_map(|(kind, id, attributes, relationships, links, extra)| {
            let mut m = Map::new();
            let members = [
                ("type", kind),
                ("id", id),
                ("attributes", attributes),
                ("relationships", relationships),
                ("links", links),
            ];
            for (k, v) in members {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            }
            if let Some((k, v)) = extra {
                m.insert(k, v);
            }
            Value::Object(m)
        });
    prop_oneof![4 => resource, 1 => arb_json()].boxed()
}

/// A list page of arbitrary resources, links, meta and side-loads.
fn arb_page() -> BoxedStrategy<Value> {
    let links = prop_oneof![
        prop::collection::vec(
            (
                select(vec!["self", "first", "prev", "next", "last"]),
                prop_oneof![arb_string().prop_map(Value::String), arb_json()]
            ),
            0..5
        )
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        arb_json(),
    ];
    let meta = prop_oneof![
        prop::collection::vec(
            (
                select(vec![
                    "pageSize",
                    "page",
                    "total",
                    "totalPages",
                    "count",
                    "cursorCount",
                    "x"
                ]),
                prop_oneof![arb_number(), arb_json()]
            ),
            0..5
        )
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        arb_json(),
    ];
    (
        prop_oneof![4 => prop::collection::vec(arb_resource(), 0..4).prop_map(Value::Array), 1 => arb_json()],
        prop::option::of(links),
        prop::option::of(meta),
        prop::option::weighted(0.3, prop::collection::vec(arb_resource(), 0..3)),
    )
        .prop_map(|(data, links, meta, included)| {
            let mut m = Map::new();
            m.insert("data".into(), data);
            if let Some(l) = links {
                m.insert("links".into(), l);
            }
            if let Some(me) = meta {
                m.insert("meta".into(), me);
            }
            if let Some(i) = included {
                m.insert("included".into(), Value::Array(i));
            }
            Value::Object(m)
        })
        .boxed()
}

/// A byte to write over a fixture's: anything, or a byte that matters to JSON.
fn arb_byte() -> BoxedStrategy<u8> {
    prop_oneof![
        any::<u8>(),
        select(b"{}[]\":,\\ \n0123456789-+.eEtrufalsn\x00\x7f\xc3\xff".to_vec()),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------
// JSON paths.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Idx(usize),
}

fn all_paths(v: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                prefix.push(Seg::Key(k.clone()));
                out.push(prefix.clone());
                all_paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                prefix.push(Seg::Idx(i));
                out.push(prefix.clone());
                all_paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(v, |v, seg| match seg {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Idx(i) => &mut v[*i],
    })
}

/// The path as `serde_path_to_error` writes it: `data[1].attributes.name`.
fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Idx(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// JSON equality, up to the last bits of floats: serde_json's default float
/// parsing is not exact, so text re-read may differ from the `Value` it was
/// written from by an ulp.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y
                || match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()) + f64::MIN_POSITIVE,
                    _ => false,
                }
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((kx, x), (ky, y))| kx == ky && same_json(x, y))
        }
        _ => a == b,
    }
}

fn type_of(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

/// `new`, made to be of another JSON type than `old`.
fn of_another_type(new: Value, old: &Value) -> Value {
    if type_of(&new) != type_of(old) {
        return new;
    }
    match old {
        Value::Null => Value::Bool(true),
        Value::Bool(_) => json!(0),
        Value::Number(_) => Value::String(new.to_string()),
        Value::String(_) => Value::Array(vec![new]),
        Value::Array(_) => json!({ "k": new }),
        Value::Object(_) => Value::Array(vec![new]),
    }
}

// ---------------------------------------------------------------------------
// 1. Arbitrary JSON.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// Each case decodes one arbitrary page, single resource and bare value
    /// as every entity, in every shape it can come in.
    #[test]
    fn arbitrary_json_never_panics(page in arb_page(), item in arb_resource()) {
        let single = json!({ "data": item.clone() });
        for body in [&page, &single, &item] {
            let bytes = serde_json::to_vec(body).unwrap();
            for t in targets() {
                check(t, &(t.natural)(&bytes))?;
                for r in (t.shapes)(&bytes) {
                    check(t, &r)?;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Mutated fixtures.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// (a) Every fixture cut at a random byte: malformed JSON is an error
    /// naming where.
    #[test]
    fn truncated_fixtures_are_errors_naming_where(cuts in prop::collection::vec(any::<Index>(), targets().len())) {
        for ((t, f), cut) in targets().iter().zip(fixtures()).zip(&cuts) {
            let bytes = &f.bytes[..cut.index(f.bytes.len())];
            let result = (t.natural)(bytes);
            if malformed(bytes) {
                prop_assert!(result.is_err(), "{}: truncated body decoded", t.fixture);
            }
            check(t, &result)?;
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// (b) Every fixture with 1–3 bytes overwritten.
    #[test]
    fn corrupted_fixtures_never_panic(
        flips in prop::collection::vec(prop::collection::vec((any::<Index>(), arb_byte()), 1..4), targets().len())
    ) {
        for ((t, f), flips) in targets().iter().zip(fixtures()).zip(&flips) {
            let mut bytes = f.bytes.clone();
            for (at, byte) in flips {
                let i = at.index(bytes.len());
                bytes[i] = *byte;
            }
            let result = (t.natural)(&bytes);
            if malformed(&bytes) {
                prop_assert!(result.is_err(), "{}: malformed body decoded", t.fixture);
            }
            check(t, &result)?;
        }
    }
}

/// The columns and child tables a changed attribute `key` may affect: its
/// column (`snake_case(key)`, or a renamed `…_type`), its child table, `_extra`.
fn affected(name: &str, key: &str) -> bool {
    let snake = snake_case(key);
    name == snake || name == "_extra" || name.ends_with(&format!("_{snake}"))
}

/// (c) for one target: the value at `path` replaced by `new` (of another type).
fn check_replaced(t: &Target, f: &Fixture, path: &[Seg], new: Value) -> Result<(), TestCaseError> {
    let mut value = f.value.clone();
    let slot = at_mut(&mut value, path);
    let new = of_another_type(new, slot);
    *slot = new.clone();
    let bytes = serde_json::to_vec(&value).unwrap();
    let where_ = path_text(path);
    let records = match (t.natural)(&bytes) {
        Err(e) => {
            check_error(&e)?;
            // The error is at the replaced value, inside it, or at a container
            // of it. (`included_of` decodes each item on its own, so the paths
            // of its errors are relative to the item: not checked.)
            prop_assert!(
                where_.starts_with(&e.path) || e.path.starts_with(&where_) || t.records_at == ["included"],
                "{}: replaced {} with {}, error at {}",
                t.fixture,
                where_,
                new,
                e
            );
            return Ok(());
        }
        Ok(records) => records,
    };
    let schema = (t.schema)();
    check_rows(schema, &records)?;

    // Replacing a container of the records may change them all.
    let container: Vec<Seg> = t.records_at.iter().map(|k| Seg::Key((*k).to_owned())).collect();
    if path.len() <= container.len() || !path.starts_with(&container) {
        return Ok(());
    }
    // Every other record survives unchanged: at most one baseline record is
    // missing from the result.
    let mut unmatched = records.clone();
    let mut missing = 0;
    for base in &f.baseline {
        match unmatched.iter().position(|r| r == base) {
            Some(i) => {
                unmatched.remove(i);
            }
            None => missing += 1,
        }
    }
    prop_assert!(
        missing <= 1,
        "{}: replacing {} changed {} records",
        t.fixture,
        where_,
        missing
    );

    // A replaced attribute of a listed resource: the record keeps its id and
    // every other column and child table, and the new value is kept (in its
    // column or child table if it fits, else in `_extra`).
    let [Seg::Idx(i), Seg::Key(attrs), Seg::Key(key)] = &path[container.len()..] else {
        return Ok(());
    };
    if t.records_at != ["data"] || attrs != "attributes" {
        return Ok(());
    }
    // Outbound accounts without an id are keyed by attributes: skip those.
    if !f.value["data"][*i]["id"].is_string() {
        return Ok(());
    }
    prop_assert_eq!(records.len(), f.baseline.len());
    let (base, got) = (&f.baseline[*i], &records[*i]);
    prop_assert_eq!(&base.id, &got.id);
    let mut kept = new.is_null();
    for (col, (b, g)) in schema.table.columns.iter().zip(base.row.iter().zip(&got.row)) {
        if affected(&col.name, key) {
            if col.name == "_extra" {
                if let Some(text) = g.as_str() {
                    let extra: Value = serde_json::from_str(text).unwrap();
                    kept |= extra["attributes"]
                        .get(key.as_str())
                        .is_some_and(|v| same_json(v, &new));
                }
            } else {
                kept |= !g.is_null();
            }
        } else {
            prop_assert_eq!(
                b,
                g,
                "{}: replacing {} changed column {}",
                t.fixture,
                &where_,
                &col.name
            );
        }
    }
    for (def, (b, g)) in schema.children.iter().zip(base.children.iter().zip(&got.children)) {
        if affected(&def.name, key) {
            kept |= !g.is_empty();
        } else {
            prop_assert_eq!(b, g, "{}: replacing {} changed table {}", t.fixture, &where_, &def.name);
        }
    }
    prop_assert!(
        kept,
        "{}: replacing {} with {} dropped it: {:?}",
        t.fixture,
        where_,
        new,
        got
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(128))]

    /// (c) Every fixture with the value at a random path replaced by a value
    /// of another type (a parse–mutate–serialize round trip).
    #[test]
    fn retyped_values_are_kept_or_errors_naming_their_path(
        edits in prop::collection::vec((any::<Index>(), arb_json()), targets().len())
    ) {
        for ((t, f), (at, new)) in targets().iter().zip(fixtures()).zip(edits) {
            let path = &f.paths[at.index(f.paths.len())];
            check_replaced(t, f, path, new)?;
        }
    }

    /// (c) again, aimed at attributes: the value of a random attribute of a
    /// random record replaced.
    #[test]
    fn retyped_attributes_are_kept(
        edits in prop::collection::vec((any::<Index>(), arb_json()), targets().len())
    ) {
        for ((t, f), (at, new)) in targets().iter().zip(fixtures()).zip(edits) {
            let attrs: Vec<&Vec<Seg>> = f
                .paths
                .iter()
                .filter(|p| p.len() == 4 && p[0] == Seg::Key("data".into()) && p[2] == Seg::Key("attributes".into()))
                .collect();
            if attrs.is_empty() {
                continue;
            }
            check_replaced(t, f, attrs[at.index(attrs.len())], new)?;
        }
    }
}

// ---------------------------------------------------------------------------
// 3. Custom attributes.
// ---------------------------------------------------------------------------

/// A value for a custom attribute: anything, or something its suffix may accept.
fn arb_custom_value() -> BoxedStrategy<Value> {
    prop_oneof![
        2 => arb_json(),
        1 => arb_number(),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => arb_string().prop_map(Value::String),
        1 => select(SPECIAL_STRINGS).prop_map(Value::from),
    ]
    .boxed()
}

fn arb_custom() -> BoxedStrategy<Map<String, Value>> {
    prop::collection::vec((arb_custom_key(), arb_custom_value()), 0..16)
        .prop_map(|kv| kv.into_iter().collect())
        .boxed()
}

/// What a custom attribute's value must decode to, by its name's suffix.
fn check_custom_value(key: &str, raw: &Value, got: &CustomValue) -> Result<(), TestCaseError> {
    let kind = CustomKind::of(key);
    prop_assert!(got.to_cell().fits(kind.logical_type()), "{key}: {got:?}");
    let fits = match (kind, raw) {
        (_, Value::Null) => {
            prop_assert_eq!(got, &CustomValue::Null);
            return Ok(());
        }
        (CustomKind::Unknown, _) => {
            prop_assert!(matches!(got, CustomValue::Other(_)), "{key}: {got:?}");
            return Ok(());
        }
        (CustomKind::Str | CustomKind::Txt | CustomKind::Url, Value::String(s)) => {
            prop_assert_eq!(got, &CustomValue::Text(s.clone()));
            true
        }
        (CustomKind::Num, Value::Number(n)) => {
            // As serde_json reads the number's text (not always the exact f64
            // it was written from).
            let read: serde_json::Number = serde_json::from_str(&n.to_string()).unwrap();
            prop_assert_eq!(got, &CustomValue::Num(read));
            true
        }
        (CustomKind::Bool, Value::Bool(b)) => {
            prop_assert_eq!(got, &CustomValue::Bool(*b));
            true
        }
        (CustomKind::At, Value::String(s)) => s.parse::<chrono::DateTime<chrono::Utc>>().is_ok(),
        _ => false,
    };
    prop_assert_eq!(got.is_mismatch(), !fits, "{}: {} → {:?}", key, raw, got);
    if let CustomValue::Mismatch(j) = got {
        prop_assert_eq!(j.get(), serde_json::to_string(raw).unwrap(), "kept verbatim");
    }
    Ok(())
}

fn check_custom<E: Entity>(fixture: &str, custom: &Map<String, Value>) -> Result<(), TestCaseError> {
    let f = &fixtures()[targets().iter().position(|t| t.fixture == fixture).unwrap()];
    let mut value = f.value.clone();
    value["data"][0]["attributes"]["custom"] = Value::Object(custom.clone());
    let bytes = serde_json::to_vec(&value).unwrap();
    let page: Page<E> = decode(&bytes).map_err(|e| TestCaseError::fail(format!("{fixture}: {e}")))?;
    let got = page.data[0].custom().expect("the custom object decodes strictly");
    let names: BTreeSet<&String> = got.0.keys().collect();
    let want: BTreeSet<&String> = custom.keys().collect();
    prop_assert_eq!(names, want, "{}: custom attributes dropped or added", fixture);
    for (key, raw) in custom {
        check_custom_value(key, raw, got.get(key).unwrap())?;
    }
    let records = flat_all(page.data);
    check_rows(E::schema(), &records)?;
    let col = E::schema().table.column_index("custom").expect("a custom column");
    let cell: Value = serde_json::from_str(records[0].row[col].as_str().unwrap_or("{}")).unwrap();
    let cell_keys: BTreeSet<&String> = cell.as_object().unwrap().keys().collect();
    prop_assert_eq!(cell_keys, custom.keys().collect::<BTreeSet<_>>());
    // The object alone decodes the same.
    let alone: CustomAttributes = serde_json::from_value(Value::Object(custom.clone())).unwrap();
    prop_assert_eq!(alone.0.len(), custom.len());
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary `custom` objects on every entity that has them: each value
    /// decodes to its suffix's type or is kept as a mismatch, none dropped.
    #[test]
    fn arbitrary_custom_attributes_never_panic(custom in arb_custom()) {
        check_custom::<Customer>("customers", &custom)?;
        check_custom::<KObject>("kobjects", &custom)?;
        check_custom::<Conversation>("conversations", &custom)?;
        check_custom::<Message>("messages", &custom)?;
        check_custom::<Company>("companies", &custom)?;
    }
}

// ---------------------------------------------------------------------------
// 4. Pathological sizes: deep nesting and huge numbers.
// ---------------------------------------------------------------------------

const DEPTH: usize = 10_000;

fn deep_arrays() -> String {
    format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH))
}

fn deep_objects() -> String {
    format!("{}1{}", r#"{"a":"#.repeat(DEPTH), "}".repeat(DEPTH))
}

fn huge_numbers() -> Vec<String> {
    vec![
        format!("1{}", "0".repeat(20_000)),
        format!("-1{}", "0".repeat(20_000)),
        format!("0.{}1", "0".repeat(20_000)),
        "1e999999999".to_owned(),
        "-1e-999999999".to_owned(),
        format!("1.{}e5", "9".repeat(10_000)),
    ]
}

const MARK: &str = "@@HOLE@@";

/// A body: where the value sits, its bytes, and whether to decode it in every
/// shape (or only the target's natural one, to keep the run short).
struct Body {
    place: String,
    bytes: Vec<u8>,
    all_shapes: bool,
}

/// The fixture of a target with `raw` spliced in at each place a
/// pathological value can land. `thorough` adds one body per attribute of
/// the fixture's first record, and decodes the others in every shape.
fn bodies_with(t: &Target, f: &Fixture, raw: &str, thorough: bool) -> Vec<Body> {
    let hole = || Value::String(MARK.into());
    let mut places: Vec<(String, Value, bool)> = vec![("body".into(), hole(), true)];
    let mut at = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut v = f.value.clone();
        edit(&mut v);
        places.push((name.to_owned(), v, thorough));
    };
    match t.records_at {
        ["events"] => at("events[0]", &|v| v["events"] = json!([hole()])),
        ["data", "attributes", "properties"] => {
            at("properties.xTree", &|v| {
                v["data"]["attributes"]["properties"] = json!({"xTree": hole()})
            });
            at("properties.xStr", &|v| {
                v["data"]["attributes"]["properties"] = json!({"xStr": {"tree": hole(), "type": hole()}})
            });
        }
        _ => {}
    }
    at("data", &|v| v["data"] = hole());
    at("links", &|v| v["links"] = hole());
    at("meta", &|v| v["meta"] = hole());
    at("included", &|v| v["included"] = json!([hole()]));
    let first = f
        .value
        .get("data")
        .and_then(|d| d.get(0))
        .filter(|v| v.is_object())
        .cloned();
    if let Some(first) = first {
        let mut with = |name: &str, all_shapes: bool, edit: &dyn Fn(&mut Value)| {
            let mut v = f.value.clone();
            let mut item = first.clone();
            edit(&mut item);
            v["data"] = json!([item, first.clone()]);
            places.push((name.to_owned(), v, all_shapes && thorough));
        };
        with("data[0]", true, &|i| *i = hole());
        with("id", true, &|i| i["id"] = hole());
        with("attributes", true, &|i| i["attributes"] = hole());
        with("relationships", true, &|i| i["relationships"] = hole());
        with("relationships.org", true, &|i| i["relationships"]["org"] = hole());
        with("relationships.org.data", true, &|i| {
            i["relationships"]["org"]["data"] = json!({"id": hole()})
        });
        with("links", true, &|i| i["links"] = hole());
        with("unknown member", true, &|i| i["zzUnknown"] = hole());
        with("unknown attribute", true, &|i| i["attributes"]["zzUnknown"] = hole());
        with("custom", true, &|i| i["attributes"]["custom"] = hole());
        with(
            "custom values",
            true,
            &|i| {
                i["attributes"]["custom"] =
                    json!({"aStr": hole(), "bNum": hole(), "cAt": hole(), "dBool": hole(), "eTree": hole()})
            },
        );
        with("criteria", true, &|i| {
            i["attributes"]["criteria"] = json!({"and": [{"f": {"value": hole(), "operator": hole()}}, hole()]})
        });
        if thorough {
            let attributes = first["attributes"].as_object().cloned().unwrap_or_default();
            for (key, value) in attributes {
                with(&format!("attributes.{key}"), false, &|i| {
                    i["attributes"][key.as_str()] = hole()
                });
                // In an item of a list (a child table's record).
                if value.is_array() {
                    with(&format!("attributes.{key}[0]"), false, &|i| {
                        i["attributes"][key.as_str()] = json!([hole()])
                    });
                }
            }
        }
    }
    let quoted = format!("\"{MARK}\"");
    places
        .into_iter()
        .map(|(place, v, all_shapes)| {
            let text = serde_json::to_string(&v).unwrap();
            assert!(text.contains(&quoted), "{place}");
            Body {
                place,
                bytes: text.replace(&quoted, raw).into_bytes(),
                all_shapes,
            }
        })
        .collect()
}

/// Decodes every body in every shape as every target: no panic, no stack
/// overflow; whatever decodes flattens into fitting rows. Returns how many
/// bodies decoded, and the `_extra` cells of the records whose unknown
/// attribute holds the value.
fn survive(raw: &str, thorough: bool) -> (usize, Vec<String>) {
    let mut ok = 0;
    let mut unknown_extras = Vec::new();
    for (t, f) in targets().iter().zip(fixtures()) {
        for body in bodies_with(t, f, raw, thorough) {
            let natural = (t.natural)(&body.bytes);
            let mut results = if body.all_shapes {
                (t.shapes)(&body.bytes)
            } else {
                Vec::new()
            };
            results.push(natural.clone());
            for r in &results {
                if let Err(e) = check(t, r) {
                    panic!("{} with the value at {}: {e}", t.fixture, body.place);
                }
            }
            if let Ok(records) = &natural {
                ok += 1;
                // `outbound_accounts_page` reads the body as a `Value`, which
                // refuses what serde_json cannot hold: an error, checked above.
                if body.place == "unknown attribute" && t.records_at == ["data"] {
                    let first = records.first().unwrap_or_else(|| panic!("{}: no records", t.fixture));
                    unknown_extras.push(first.row.last().unwrap().as_str().unwrap_or_default().to_owned());
                }
            }
        }
    }
    (ok, unknown_extras)
}

#[test]
fn deep_nesting_is_an_error_or_kept_whole() {
    for (i, raw) in [deep_arrays(), deep_objects()].into_iter().enumerate() {
        let (ok, extras) = survive(&raw, i == 0);
        assert!(ok > 0, "nothing decoded");
        // An unknown attribute holds any JSON verbatim, however deep: it
        // reaches `_extra` whole rather than as `null`.
        assert!(!extras.is_empty());
        for extra in extras {
            assert!(extra.contains(&raw), "deep value lost from _extra: {:.200}", extra);
        }
    }
}

#[test]
fn huge_numbers_are_an_error_or_kept_whole() {
    for (i, raw) in huge_numbers().into_iter().enumerate() {
        let (ok, extras) = survive(&raw, i == 0);
        assert!(ok > 0, "nothing decoded");
        assert!(!extras.is_empty());
        // A number beyond f64 is kept verbatim; one that rounds (to 0.0 or
        // 200000.0) is normalized like any float in `_extra`.
        let want = match serde_json::from_str::<Value>(&raw) {
            Ok(v) => v.to_string(),
            Err(_) => raw.clone(),
        };
        for extra in extras {
            assert!(extra.contains(&want), "huge number lost from _extra: {:.200}", extra);
        }
    }
}

#[test]
fn deep_and_huge_bodies_alone() {
    let mut bodies = vec![deep_arrays(), deep_objects(), format!("{}1", "[".repeat(DEPTH))];
    bodies.extend(huge_numbers());
    for body in bodies {
        for t in targets() {
            let mut results = (t.shapes)(body.as_bytes());
            results.push((t.natural)(body.as_bytes()));
            // Mostly errors, but a derived struct also reads an array (the
            // events body `[[[…]]]` is `{"events": [[…]]}`): either is fine.
            for r in &results {
                check(t, r).unwrap();
            }
        }
    }
    for body in [deep_arrays(), deep_objects(), format!("{}1", "[".repeat(DEPTH))] {
        let e = decode::<Value>(body.as_bytes()).expect_err("beyond serde_json's recursion limit");
        check_error(&e).unwrap();
    }
}

/// Regression: a record's `_extra` was re-parsed as a `Value`, and a value
/// serde_json cannot hold as one (deeper than its recursion limit of 128, or
/// a number beyond f64) made the whole `attributes` member `null`, dropping
/// every unknown attribute of the record. Minimal inputs.
#[test]
fn extra_keeps_values_serde_json_cannot_hold() {
    let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
    for (value, kept) in [("1e400", "1e400"), (deep.as_str(), deep.as_str()), ("1.0", "1.0")] {
        let body = format!(r#"{{"type":"note","id":"a","attributes":{{"x":{value},"y":2}}}}"#);
        let note: Note = decode(body.as_bytes()).unwrap();
        let flat = note.flatten();
        assert_eq!(
            flat.row.last().unwrap(),
            &Cell::Json(format!(r#"{{"attributes":{{"x":{kept},"y":2}}}}"#)),
            "{value}"
        );
    }
}
