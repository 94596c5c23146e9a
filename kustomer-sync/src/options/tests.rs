use chrono::TimeZone;

use super::*;

const SALT: &str = "pepper-7f3a9c";

const EVERY_KEY: &str = r#"
    tables = ["customers", "conversations", "kobject_order"]
    exclude_tables = ["conversation_events"]
    exclude_columns = ["customers.birthday_at"]
    hash_columns = ["customers.display_name", "messages.customer_id"]
    hash_salt = "pepper-7f3a9c"
    hard_delete = true
    history = true
    resync = ["customers"]
    start_date = "2024-01-01"
    usage_ceiling = 0.5
    resolved_only = true
    search_page_size = 200
    max_concurrent_streams = 2
    channel_capacity = 16
    first_load = "search_only"
    details = "inline"
    details_per_run = 5000
"#;

fn message(e: SyncError) -> String {
    match e {
        SyncError::Config(m) => m,
        other => panic!("expected a config error, got {other:?}"),
    }
}

fn expected() -> SyncOptions {
    SyncOptions {
        tables: Some(vec!["customers".into(), "conversations".into(), "kobject_order".into()]),
        exclude_tables: vec!["conversation_events".into()],
        exclude_columns: vec!["customers.birthday_at".into()],
        hash_columns: vec!["customers.display_name".into(), "messages.customer_id".into()],
        hash_salt: Some(HashSalt::new(SALT)),
        hard_delete: true,
        history: true,
        resync: vec!["customers".into()],
        start_date: Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()),
        usage_ceiling: Some(0.5),
        resolved_only: true,
        search_page_size: 200,
        max_concurrent_streams: 2,
        channel_capacity: 16,
        first_load: crate::mode::FirstLoadMode::SearchOnly,
        details: crate::mode::DetailsMode::Inline,
        details_per_run: Some(5_000),
    }
}

#[test]
fn toml_reads_every_key() {
    assert_eq!(SyncOptions::from_toml_str(EVERY_KEY).unwrap(), expected());
}

#[test]
fn empty_toml_is_the_default() {
    assert_eq!(SyncOptions::from_toml_str("").unwrap(), SyncOptions::default());
}

#[test]
fn builder_equals_toml() {
    let built = SyncOptions::builder()
        .tables(["customers", "conversations", "kobject_order"])
        .exclude_tables(["conversation_events"])
        .exclude_columns(["customers.birthday_at"])
        .hash_columns(vec![
            "customers.display_name".to_owned(),
            "messages.customer_id".to_owned(),
        ])
        .hash_salt(SALT)
        .hard_delete(true)
        .history(true)
        .resync(["customers"])
        .start_date(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap())
        .usage_ceiling(0.5)
        .resolved_only(true)
        .search_page_size(200)
        .max_concurrent_streams(2)
        .channel_capacity(16)
        .first_load(crate::mode::FirstLoadMode::SearchOnly)
        .details(crate::mode::DetailsMode::Inline)
        .details_per_run(5_000)
        .build()
        .unwrap();
    assert_eq!(built, SyncOptions::from_toml_str(EVERY_KEY).unwrap());
    assert_eq!(SyncOptions::builder().build().unwrap(), SyncOptions::default());
}

#[test]
fn start_date_forms() {
    let at = |s: &str| {
        SyncOptions::from_toml_str(&format!("start_date = {s}"))
            .unwrap()
            .start_date
    };
    let midnight = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    let ten = Some(Utc.with_ymd_and_hms(2024, 1, 1, 10, 0, 0).unwrap());
    assert_eq!(at("\"2024-01-01\""), midnight);
    assert_eq!(at("2024-01-01"), midnight);
    assert_eq!(at("\"2024-01-01T10:00:00Z\""), ten);
    assert_eq!(at("\"2024-01-01T12:00:00+02:00\""), ten);
    assert_eq!(at("2024-01-01T12:00:00+02:00"), ten);
    assert_eq!(at("2024-01-01T10:00:00Z"), ten);
    assert_eq!(at("2024-01-01T10:00:00"), ten);
    assert_eq!(at("2024-01-01 10:00:00Z"), ten);
    let err = message(SyncOptions::from_toml_str("start_date = \"yesterday\"").unwrap_err());
    assert!(err.contains("start_date") && err.contains("yesterday"), "{err}");
    let err = message(SyncOptions::from_toml_str("start_date = 10:00:00").unwrap_err());
    assert!(err.contains("no date"), "{err}");
}

#[test]
fn unknown_key_is_named() {
    let err = message(SyncOptions::from_toml_str("tables = [\"customers\"]\nmax_streams = 3\n").unwrap_err());
    assert!(err.contains("max_streams"), "{err}");
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn wrong_type_is_an_error() {
    let err = message(SyncOptions::from_toml_str("hard_delete = \"yes\"").unwrap_err());
    assert!(err.contains("TOML error"), "{err}");
}

#[test]
fn ceiling_out_of_range() {
    for bad in ["0.1", "0.95", "1", "nan"] {
        let err = message(SyncOptions::from_toml_str(&format!("usage_ceiling = {bad}")).unwrap_err());
        assert!(err.contains("usage_ceiling"), "{err}");
    }
    for good in ["0.25", "0.9", "0.5"] {
        SyncOptions::from_toml_str(&format!("usage_ceiling = {good}")).unwrap();
    }
    assert!(SyncOptions::builder().usage_ceiling(0.91).build().is_err());
}

#[test]
fn other_limits() {
    assert!(SyncOptions::builder().search_page_size(0).build().is_err());
    assert!(SyncOptions::builder().search_page_size(501).build().is_err());
    SyncOptions::builder().search_page_size(1).build().unwrap();
    assert!(SyncOptions::builder().max_concurrent_streams(0).build().is_err());
    assert!(SyncOptions::builder().channel_capacity(0).build().is_err());
}

#[test]
fn column_specs_need_one_dot() {
    for bad in ["customers", "customers.", ".name", "a.b.c", ""] {
        let err = message(SyncOptions::builder().exclude_columns([bad]).build().unwrap_err());
        assert!(err.contains("exclude_columns") && err.contains("table.column"), "{err}");
        let err = message(
            SyncOptions::builder()
                .hash_columns([bad])
                .hash_salt(SALT)
                .build()
                .unwrap_err(),
        );
        assert!(err.contains("hash_columns"), "{err}");
    }
}

#[test]
fn hash_without_salt() {
    for opts in [
        SyncOptions::builder().hash_columns(["customers.name"]),
        SyncOptions::builder().hash_columns(["customers.name"]).hash_salt(""),
    ] {
        let err = message(opts.build().unwrap_err());
        assert!(err.contains("hash_salt"), "{err}");
    }
    // A salt without hashed columns is harmless.
    SyncOptions::builder().hash_salt(SALT).build().unwrap();
}

#[test]
fn excluded_and_hashed() {
    let err = message(
        SyncOptions::builder()
            .exclude_columns(["customers.name"])
            .hash_columns(["customers.name"])
            .hash_salt(SALT)
            .build()
            .unwrap_err(),
    );
    assert!(err.contains("customers.name") && err.contains("both"), "{err}");
}

#[test]
fn salt_never_printed() {
    let opts = SyncOptions::from_toml_str(EVERY_KEY).unwrap();
    assert!(!format!("{opts:?}").contains(SALT));
    assert!(!format!("{opts:#?}").contains(SALT));
    let salt = opts.hash_salt.clone().unwrap();
    assert!(!format!("{salt}").contains(SALT));
    assert!(!format!("{salt:?}").contains(SALT));
    assert_eq!(salt.expose_secret(), SALT);
    assert!(!format!("{:?}", SyncOptions::builder().hash_salt(SALT)).contains(SALT));
    // Errors of a config that holds the salt.
    let errors = [
        SyncOptions::from_toml_str(&format!("{EVERY_KEY}\nusage_ceiling_x = 2")).unwrap_err(),
        SyncOptions::from_toml_str(&format!("hash_salts = \"{SALT}\"")).unwrap_err(),
        SyncOptions::from_toml_str(&format!("hash_salt = \"{SALT}\"\nhash_salt = \"{SALT}\"")).unwrap_err(),
        SyncOptions::from_toml_str(&format!("hash_salt = \"{SALT}")).unwrap_err(),
        SyncOptions::builder()
            .hash_salt(SALT)
            .hash_columns(["customers.name"])
            .exclude_columns(["customers.name"])
            .usage_ceiling(3.0)
            .build()
            .unwrap_err(),
    ];
    for e in errors {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(SALT), "{shown}");
    }
}

#[test]
fn file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.toml");
    std::fs::write(&path, EVERY_KEY).unwrap();
    assert_eq!(SyncOptions::from_toml_file(&path).unwrap(), expected());

    std::fs::write(&path, "bogus = 1").unwrap();
    let err = message(SyncOptions::from_toml_file(&path).unwrap_err());
    assert!(err.contains("sync.toml") && err.contains("bogus"), "{err}");

    std::fs::write(&path, "usage_ceiling = 2.0").unwrap();
    let err = message(SyncOptions::from_toml_file(&path).unwrap_err());
    assert!(err.contains("sync.toml") && err.contains("usage_ceiling"), "{err}");

    let err = message(SyncOptions::from_toml_file(dir.path().join("missing.toml")).unwrap_err());
    assert!(err.contains("missing.toml"), "{err}");
}

#[test]
fn resyncs() {
    let opts = SyncOptions::builder().resync(["customers"]).build().unwrap();
    assert!(opts.resyncs("customers"));
    assert!(!opts.resyncs("messages"));
    let all = SyncOptions::builder().resync_all().build().unwrap();
    assert!(all.resyncs("messages"));
    assert!(!SyncOptions::default().resyncs("customers"));
}
