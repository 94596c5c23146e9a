use chrono::{TimeZone, Utc};
use kustomer_models::entity::child_table;
use kustomer_models::{Cell, Column, Customer, FlatRecord, ParentKey};
use sha2::{Digest, Sha256};

use super::hash::push_hex;
use super::suggest::edit_distance;
use super::*;

const SALT: &str = "pepper-7f3a9c";

/// Stream tables with the given parent and children, built from a real
/// stream's so fields added to `StreamTables` keep their defaults.
fn stream(parent: TableDef, children: Vec<TableDef>) -> StreamTables {
    let mut t = crate::streams::entity_tables::<Customer>();
    t.parent = parent;
    t.children = children;
    t
}

fn parent_def(name: &str) -> TableDef {
    TableDef {
        name: name.into(),
        columns: vec![
            Column::required("id", LogicalType::Text),
            Column::new("email", LogicalType::Text),
            Column::new("age", LogicalType::BigInt),
            Column::new("birthday_at", LogicalType::Timestamp),
            Column::new("_extra", LogicalType::Json),
        ],
        primary_key: vec!["id".into()],
        parent: None,
    }
}

/// `customers` with `customer_emails` and `customer_drafts`.
fn customers() -> StreamTables {
    let emails = child_table(
        "customers",
        "customer_id",
        "customer_emails".into(),
        vec![
            Column::required("customer_id", LogicalType::Text),
            Column::required("_position", LogicalType::BigInt),
            Column::new("email", LogicalType::Text),
            Column::new("kind", LogicalType::Text),
        ],
    );
    let drafts = child_table(
        "customers",
        "customer_id",
        "customer_drafts".into(),
        vec![
            Column::required("customer_id", LogicalType::Text),
            Column::required("_position", LogicalType::BigInt),
            Column::new("body", LogicalType::Text),
        ],
    );
    stream(parent_def("customers"), vec![emails, drafts])
}

fn messages() -> StreamTables {
    let mut def = parent_def("messages");
    def.columns.push(Column::new("customer_email", LogicalType::Text));
    stream(def, Vec::new())
}

fn record() -> FlatRecord {
    let t = Utc.with_ymd_and_hms(1990, 5, 1, 0, 0, 0).unwrap();
    FlatRecord {
        id: "c1".into(),
        row: vec![
            Cell::Text("c1".into()),
            Cell::Text("jane@example.com".into()),
            Cell::Int(34),
            Cell::Timestamp(t),
            Cell::Json("{}".into()),
        ],
        children: vec![
            vec![
                vec![
                    Cell::Text("c1".into()),
                    Cell::Int(0),
                    Cell::Text("jane@example.com".into()),
                    Cell::Text("home".into()),
                ],
                vec![
                    Cell::Text("c1".into()),
                    Cell::Int(1),
                    Cell::Null,
                    Cell::Text("work".into()),
                ],
            ],
            vec![vec![Cell::Text("c1".into()), Cell::Int(0), Cell::Text("draft".into())]],
        ],
    }
}

fn selection(
    build: impl FnOnce(crate::options::SyncOptionsBuilder) -> crate::options::SyncOptionsBuilder,
) -> Selection {
    Selection::new(&build(SyncOptions::builder().hash_salt(SALT)).build().unwrap()).unwrap()
}

fn names(t: &StreamTables) -> Vec<&str> {
    t.children.iter().map(|c| c.name.as_str()).collect()
}

fn message(e: SyncError) -> String {
    match e {
        SyncError::Config(m) => m,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn default_selection_is_identity() {
    let sel = selection(|b| b);
    let t = customers();
    assert!(sel.wants_stream(&t));
    let (projected, proj) = sel.project(&t).unwrap();
    assert_eq!(projected, t);
    assert!(proj.is_identity());
    let mut rec = record();
    proj.apply(&mut rec);
    assert_eq!(rec, record());
    assert!(sel.excluded_children(&t).is_empty());
    assert!(Projection::identity().is_identity());
}

#[test]
fn excluded_column_leaves_table_and_rows() {
    let sel = selection(|b| b.exclude_columns(["customers.age", "customer_emails.kind"]));
    let (t, proj) = sel.project(&customers()).unwrap();
    assert!(!proj.is_identity());
    assert_eq!(t.parent.column_index("age"), None);
    assert_eq!(t.parent.columns.len(), 4);
    assert_eq!(t.children[0].column_index("kind"), None);
    assert_eq!(t.children[1], customers().children[1]);
    let mut rec = record();
    proj.apply(&mut rec);
    assert_eq!(rec.row.len(), t.parent.columns.len());
    assert!(!rec.row.contains(&Cell::Int(34)));
    assert_eq!(rec.row[1], Cell::Text("jane@example.com".into()));
    assert_eq!(rec.children[0][0].len(), 3);
    assert_eq!(
        rec.children[0][1],
        vec![Cell::Text("c1".into()), Cell::Int(1), Cell::Null]
    );
    assert_eq!(rec.children[1], record().children[1]);
    // Every row still fits its table.
    for (row, def) in std::iter::once((&rec.row, &t.parent)) {
        assert!(row.iter().zip(&def.columns).all(|(c, col)| c.fits(col.ty)));
    }
}

#[test]
fn excluding_keys_is_refused() {
    for spec in [
        "customers.id",
        "customer_emails._position",
        "customer_emails.customer_id",
    ] {
        let sel = selection(|b| b.exclude_columns([spec]));
        let err = message(sel.project(&customers()).unwrap_err());
        assert!(err.contains(spec) && err.contains("cannot exclude"), "{err}");
    }
}

#[test]
fn hashed_column_is_text_and_equal_across_tables() {
    let sel = selection(|b| b.hash_columns(["customers.email", "customer_emails.email", "customers.age"]));
    let (t, proj) = sel.project(&customers()).unwrap();
    assert_eq!(t.parent.columns[1].ty, LogicalType::Text);
    assert_eq!(t.parent.columns[2].ty, LogicalType::Text);
    assert!(t.parent.columns[2].nullable);
    assert_eq!(t.children[0].columns[2].ty, LogicalType::Text);
    let mut rec = record();
    proj.apply(&mut rec);
    let salt = HashSalt::new(SALT);
    let expected = hash_cell(&salt, &Cell::Text("jane@example.com".into()));
    assert_eq!(rec.row[1], expected);
    assert_eq!(rec.children[0][0][2], expected);
    assert_eq!(rec.children[0][1][2], Cell::Null);
    assert_eq!(rec.row[2], hash_cell(&salt, &Cell::Int(34)));
    assert_eq!(rec.row[0], Cell::Text("c1".into()));
    assert_eq!(rec.children[0][0][3], Cell::Text("home".into()));
    for (c, col) in rec.row.iter().zip(&t.parent.columns) {
        assert!(c.fits(col.ty), "{c:?} in {col:?}");
    }

    // Another stream, same salt: same digest, so joins still work.
    let sel = selection(|b| b.hash_columns(["messages.customer_email"]));
    let (_, proj) = sel.project(&messages()).unwrap();
    let mut msg = FlatRecord {
        id: "m1".into(),
        row: vec![
            Cell::Text("m1".into()),
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::Text("jane@example.com".into()),
        ],
        children: Vec::new(),
    };
    proj.apply(&mut msg);
    assert_eq!(msg.row[5], expected);
}

#[test]
fn hashing_the_parent_id_hashes_child_keys() {
    let sel = selection(|b| b.hash_columns(["customers.id"]));
    let (t, proj) = sel.project(&customers()).unwrap();
    assert_eq!(t.children[0].columns[0].ty, LogicalType::Text);
    let mut rec = record();
    proj.apply(&mut rec);
    let id = hash_cell(&HashSalt::new(SALT), &Cell::Text("c1".into()));
    assert_eq!(rec.row[0], id);
    assert_eq!(rec.children[0][0][0], id);
    assert_eq!(rec.children[1][0][0], id);
    assert_eq!(rec.id, "c1");

    let sel = selection(|b| b.hash_columns(["customer_emails.customer_id"]));
    let err = message(sel.project(&customers()).unwrap_err());
    assert!(err.contains("customers.id"), "{err}");
}

#[test]
fn hash_cell_encodings() {
    let salt = HashSalt::new(SALT);
    let digest = |bytes: &str| {
        let mut h = Sha256::new();
        h.update(SALT.as_bytes());
        h.update(bytes.as_bytes());
        let mut s = String::new();
        push_hex(&h.finalize().into(), &mut s);
        Cell::Text(s)
    };
    let t = Utc.with_ymd_and_hms(2024, 1, 1, 10, 0, 0).unwrap() + chrono::Duration::microseconds(1_500);
    assert_eq!(
        t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "2024-01-01T10:00:00.001500Z"
    );
    for (cell, text) in [
        (Cell::Text("abc".into()), "abc"),
        (Cell::Json("{\"a\":1}".into()), "{\"a\":1}"),
        (Cell::Int(-42), "-42"),
        (Cell::Float(1.5), "1.5"),
        (Cell::Float(2.0), "2"),
        (Cell::Bool(true), "true"),
        (Cell::Bool(false), "false"),
        (Cell::Timestamp(t), "2024-01-01T10:00:00.001500Z"),
    ] {
        assert_eq!(hash_cell(&salt, &cell), digest(text), "{cell:?}");
        // In place gives the same.
        let mut c = cell.clone();
        SaltedHasher::new(&salt).hash_in_place(&mut c);
        assert_eq!(c, digest(text));
    }
    assert_eq!(hash_cell(&salt, &Cell::Null), Cell::Null);
    assert_ne!(
        hash_cell(&HashSalt::new("other"), &Cell::Text("abc".into())),
        hash_cell(&salt, &Cell::Text("abc".into()))
    );
    // Known vector: sha256("pepper-7f3a9c" + "abc") has 64 hex digits.
    let Cell::Text(hex) = hash_cell(&salt, &Cell::Text("abc".into())) else {
        panic!()
    };
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
}

#[test]
fn sha256_known_answer() {
    // SHA-256 of "abc" (salt "" + "abc"): FIPS 180-2 test vector.
    let mut h = Sha256::new();
    h.update(b"");
    let hasher = SaltedHasher(h);
    let mut s = String::new();
    push_hex(&hasher.digest(&Cell::Text("abc".into())), &mut s);
    assert_eq!(s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn salt_never_in_debug() {
    let sel = selection(|b| b.hash_columns(["customers.email"]));
    assert!(!format!("{sel:?}").contains(SALT));
    let (_, proj) = sel.project(&customers()).unwrap();
    assert!(!format!("{proj:?}").contains(SALT));
    assert!(!format!("{proj:#?}").contains(SALT));
}

#[test]
fn excluded_parent_drops_stream() {
    let sel = selection(|b| b.exclude_tables(["customers"]));
    assert!(!sel.wants_stream(&customers()));
    assert!(sel.wants_stream(&messages()));
    let sel = selection(|b| b.tables(["customers"]).exclude_tables(["customers"]));
    assert!(!sel.wants_stream(&customers()));
}

#[test]
fn excluded_child_is_dropped() {
    let sel = selection(|b| b.exclude_tables(["customer_emails"]));
    let t = customers();
    assert!(sel.wants_stream(&t));
    assert_eq!(sel.excluded_children(&t), HashSet::from(["customer_emails".to_owned()]));
    let (projected, proj) = sel.project(&t).unwrap();
    assert_eq!(names(&projected), ["customer_drafts"]);
    let mut rec = record();
    proj.apply(&mut rec);
    assert_eq!(rec.children, vec![record().children[1].clone()]);
    assert_eq!(rec.row, record().row);
}

#[test]
fn include_selects_streams_and_children() {
    // The parent: every child comes along.
    let sel = selection(|b| b.tables(["customers"]));
    assert!(sel.wants_stream(&customers()));
    assert!(!sel.wants_stream(&messages()));
    let (t, proj) = sel.project(&customers()).unwrap();
    assert_eq!(names(&t), ["customer_emails", "customer_drafts"]);
    assert!(proj.is_identity());

    // Only a child: the stream runs with just that child.
    let sel = selection(|b| b.tables(["customer_drafts"]));
    assert!(sel.wants_stream(&customers()));
    assert_eq!(
        sel.excluded_children(&customers()),
        HashSet::from(["customer_emails".to_owned()])
    );
    let (t, proj) = sel.project(&customers()).unwrap();
    assert_eq!(t.parent, customers().parent);
    assert_eq!(names(&t), ["customer_drafts"]);
    let mut rec = record();
    proj.apply(&mut rec);
    assert_eq!(rec.children.len(), 1);
    assert_eq!(rec.children[0], record().children[1]);
}

#[test]
fn klass_tables_select_kobjects() {
    let klass = TableDef {
        name: "kobject_order".into(),
        columns: vec![Column::required("id", LogicalType::Text)],
        primary_key: vec!["id".into()],
        parent: Some(ParentKey {
            table: "kobjects".into(),
            column: "id".into(),
        }),
    };
    let other = TableDef {
        name: "kobject_return".into(),
        ..klass.clone()
    };
    let before_discovery = stream(parent_def("kobjects"), Vec::new());
    let after = stream(parent_def("kobjects"), vec![klass, other]);
    let sel = selection(|b| b.tables(["kobject_order"]));
    assert!(sel.wants_stream(&before_discovery));
    assert!(!sel.wants_stream(&customers()));
    let (t, _) = sel.project(&after).unwrap();
    assert_eq!(names(&t), ["kobject_order"]);

    // Hashing kobjects.id hashes the klass tables' id too.
    let sel = selection(|b| b.hash_columns(["kobjects.id"]));
    let (t, _) = sel.project(&after).unwrap();
    assert!(t.children.iter().all(|c| c.columns[0].ty == LogicalType::Text));
}

#[test]
fn check_tables_names_unknown_ones() {
    let known = ["customers", "customer_emails", "messages", "conversations"];
    selection(|b| {
        b.tables(["customers", "kobject_order"])
            .exclude_tables(["customer_emails"])
            .resync_all()
            .hash_columns(["messages.customer_email"])
    })
    .check_tables(&known)
    .unwrap();
    let sel = selection(|b| {
        b.tables(["custmers", "messages"])
            .exclude_tables(["bogus_table"])
            .resync(["mesages"])
            .exclude_columns(["conversatons.subject"])
    });
    let err = message(sel.check_tables(&known).unwrap_err());
    assert!(
        err.contains("`custmers` in tables (did you mean `customers`?)"),
        "{err}"
    );
    assert!(err.contains("`bogus_table` in exclude_tables"), "{err}");
    assert!(!err.contains("bogus_table` in exclude_tables (did"), "{err}");
    assert!(err.contains("`mesages` in resync (did you mean `messages`?)"), "{err}");
    assert!(err.contains("`conversatons` in exclude_columns"), "{err}");
}

#[test]
fn check_columns_reports_unmatched() {
    let sel = selection(|b| {
        b.exclude_columns(["customers.age", "customers.emial"])
            .hash_columns(["customer_emails.email", "notes.body"])
    });
    let err = message(sel.check_columns([&customers(), &messages()]).unwrap_err());
    assert!(
        err.contains("customers.emial") && err.contains("did you mean `customers.email`"),
        "{err}"
    );
    assert!(err.contains("notes.body") && err.contains("not synced"), "{err}");
    assert!(!err.contains("customers.age"), "{err}");
    assert!(!err.contains("customer_emails.email"), "{err}");
    let sel = selection(|b| {
        b.exclude_columns(["customers.age"])
            .hash_columns(["customer_emails.email"])
    });
    sel.check_columns([&customers()]).unwrap();
    selection(|b| b).check_columns(std::iter::empty()).unwrap();
}

#[test]
fn edit_distances() {
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(edit_distance("abc", "abc"), 0);
    assert_eq!(edit_distance("emial", "email"), 1);
    assert_eq!(edit_distance("abc", ""), 3);
    assert_eq!(closest("custmers", ["customers", "messages"]), Some("customers"));
    assert_eq!(closest("zzz", ["customers", "messages"]), None);
}
