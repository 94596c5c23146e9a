//! Decoding: bad values name their JSON path, unknown fields and enum values
//! are kept, and the awkward shapes of real payloads decode.

use kustomer_models::{
    decode, outbound_accounts_page, AuditLog, AuditObjectType, AuthCustomerSettings, AuthToken, BusinessSchedule, Cell,
    Channel, Conversation, ConversationStatus, DecodeError, Entity, FlexTime, Holiday, KObject, Klass, KlassStatus,
    Message, Note, OutboundAccount, OutboundWebhook, Page, Queue, Redacted, RoutingStatus, RoutingStatusType, Setting,
    Sla, SlaVersion, Snooze, User, UserType,
};

fn fixture(name: &str) -> String {
    // At run time: a binary reused from another checkout must read this one's fixtures.
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let path = format!("{dir}/tests/fixtures/{name}.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn page_of(records: &[&str]) -> String {
    format!(
        r#"{{"data":[{}],"links":{{"self":"/v1/x?page=1","first":"/v1/x?page=1","prev":null,"next":null}},"meta":{{"pageSize":100,"page":1}}}}"#,
        records.join(",")
    )
}

fn err<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> DecodeError {
    decode::<T>(body.as_bytes()).expect_err("should not decode")
}

/// Replaces the first occurrence of `from` with `to`: a syntax error at the
/// same place as a type mismatch.
fn malformed(body: &str, from: &str, to: &str) -> String {
    assert!(body.contains(from), "{from} not in {body}");
    body.replacen(from, to, 1)
}

#[test]
fn a_value_of_the_wrong_type_is_kept_and_malformed_json_names_its_path() {
    let body = page_of(&[
        r#"{"type":"note","id":"a","attributes":{"updatedAt":"2024-03-01T10:00:00.000Z"}}"#,
        r#"{"type":"note","id":"b","attributes":{"body":"x","updatedAt":12}}"#,
    ]);
    let page: Page<Note> = decode(body.as_bytes()).unwrap();
    let b = &page.data[1].attributes;
    assert_eq!(b.updated_at, None);
    assert_eq!(b.extra["updatedAt"].get(), "12");
    assert_eq!(b.body.as_deref(), Some("x"));
    let e = err::<Page<Note>>(&malformed(&body, r#""updatedAt":12"#, r#""updatedAt":1x2"#));
    assert_eq!(e.path, "data[1].attributes.updatedAt", "{e}");
    assert!(e.to_string().contains("data[1].attributes.updatedAt"));
}

#[test]
fn counts_of_the_wrong_type_are_kept() {
    let body = page_of(&[r#"{"type":"conversation","id":"a","attributes":{"rev":"x"}}"#]);
    let page: Page<Conversation> = decode(body.as_bytes()).unwrap();
    assert_eq!(page.data[0].attributes.rev, None);
    assert_eq!(page.data[0].attributes.extra["rev"].get(), r#""x""#);
    let e = err::<Page<Conversation>>(&malformed(&body, r#""rev":"x""#, r#""rev":x"#));
    assert_eq!(e.path, "data[0].attributes.rev", "{e}");
}

#[test]
fn nested_values_of_the_wrong_type_are_kept_where_they_stood() {
    let body = page_of(&[r#"{"type":"message","id":"a","attributes":{"meta":{"to":[{"email":"a@x"}, 7]}}}"#]);
    let page: Page<Message> = decode(body.as_bytes()).unwrap();
    let meta = page.data[0].attributes.meta.as_ref().unwrap();
    assert_eq!(meta.extra["to"].get(), r#"[{"email":"a@x"}, 7]"#);
    let e = err::<Page<Message>>(&malformed(&body, "7]", "7}"));
    assert!(e.path.starts_with("data[0].attributes.meta.to"), "{e}");
    let body = page_of(&[r#"{"type":"user","id":"a","attributes":{"roles":"admin"}}"#]);
    let page: Page<User> = decode(body.as_bytes()).unwrap();
    assert_eq!(page.data[0].attributes.extra["roles"].get(), r#""admin""#);
}

#[test]
fn lenient_counts_accept_numeric_strings_and_whole_floats() {
    let body = page_of(&[r#"{"type":"conversation","id":"a","attributes":{"rev":"7","priority":3.0}}"#]);
    let page: Page<Conversation> = decode(body.as_bytes()).unwrap();
    let a = &page.data[0].attributes;
    assert_eq!(a.rev.map(|c| c.0), Some(7));
    assert_eq!(a.priority.map(|c| c.0), Some(3));
}

#[test]
fn unknown_fields_land_in_extra() {
    let page: Page<Conversation> = decode(fixture("conversations").as_bytes()).unwrap();
    let conv = &page.data[1];
    assert!(conv.attributes.extra.contains_key("csatFollowUp"));
    let body = page_of(&[
        r#"{"type":"tag","id":"t","attributes":{"name":"x","shinyNew":{"a":1}},"relationships":{"owner":{"data":{"type":"user","id":"u"}}},"meta":{"score":1}}"#,
    ]);
    let page: Page<kustomer_models::Tag> = decode(body.as_bytes()).unwrap();
    let flat = page.data.into_iter().next().unwrap().flatten();
    let schema = kustomer_models::Tag::schema();
    let extra = &flat.row[schema.table.column_index("_extra").unwrap()];
    let extra: serde_json::Value = serde_json::from_str(extra.as_str().unwrap()).unwrap();
    assert_eq!(extra["attributes"]["shinyNew"]["a"], 1);
    assert_eq!(extra["relationships"]["owner"]["data"]["id"], "u");
    assert_eq!(extra["meta"]["score"], 1);
}

#[test]
fn unknown_enum_values_are_kept() {
    let convs: Page<Conversation> = decode(fixture("conversations").as_bytes()).unwrap();
    assert_eq!(convs.data[0].attributes.status, Some(ConversationStatus::Open));
    assert_eq!(
        convs.data[1].attributes.status,
        Some(ConversationStatus::Unknown("waiting".into()))
    );
    let msgs: Page<Message> = decode(fixture("messages").as_bytes()).unwrap();
    assert_eq!(msgs.data[2].attributes.channel, Some(Channel::Unknown("tiktok".into())));
    let users: Page<User> = decode(fixture("users").as_bytes()).unwrap();
    assert_eq!(users.data[1].attributes.user_type, Some(UserType::Machine));
    assert_eq!(
        users.data[2].attributes.user_type,
        Some(UserType::Unknown("bot".into()))
    );
    let klasses: Page<Klass> = decode(fixture("klasses").as_bytes()).unwrap();
    assert_eq!(
        klasses.data[1].attributes.status,
        Some(KlassStatus::Unknown("archived".into()))
    );
}

#[test]
fn custom_mismatches_are_kept() {
    let convs: Page<Conversation> = decode(fixture("conversations").as_bytes()).unwrap();
    let custom = convs.data[1].attributes.custom.as_ref().unwrap();
    assert_eq!(custom.mismatches().collect::<Vec<_>>(), ["refundNum"]);
    let flat = convs.data.into_iter().nth(1).unwrap().flatten();
    let col = Conversation::schema().table.column_index("custom").unwrap();
    assert!(flat.row[col].as_str().unwrap().contains(r#""refundNum":"12,5""#));
}

#[test]
fn message_meta_recipients_in_all_three_shapes() {
    let page: Page<Message> = decode(fixture("messages").as_bytes()).unwrap();
    let metas: Vec<_> = page.data.iter().map(|m| m.attributes.meta.as_ref().unwrap()).collect();
    // A list of objects.
    let to0: Vec<_> = metas[0].to.as_ref().unwrap().emails().collect();
    assert_eq!(to0, ["support@acme.example"]);
    assert_eq!(
        metas[0].from.as_ref().unwrap().emails().collect::<Vec<_>>(),
        ["jane@example.com"]
    );
    // A string.
    assert_eq!(
        metas[1].to.as_ref().unwrap().emails().collect::<Vec<_>>(),
        ["jane@example.com"]
    );
    // A list mixing a string and an object; a null bcc.
    let cc = metas[1].cc.as_ref().unwrap().as_slice();
    assert_eq!(cc.len(), 2);
    assert_eq!(cc[0].email.as_deref(), Some("orders@acme.example"));
    assert_eq!(cc[1].name.as_deref(), Some("Team Lead"));
    assert!(metas[1].bcc.is_none());
    assert!(metas[1].extra.contains_key("references"));
    // One object.
    let to2 = metas[2].to.as_ref().unwrap().as_slice();
    assert_eq!(to2.len(), 1);
    assert_eq!(to2[0].external.as_ref().and_then(|f| f.as_str()), Some("acme-official"));
    // The column holds the normalised arrays.
    let flat = page.data.into_iter().nth(1).unwrap().flatten();
    let meta = &flat.row[Message::schema().table.column_index("meta").unwrap()];
    let meta: serde_json::Value = serde_json::from_str(meta.as_str().unwrap()).unwrap();
    assert_eq!(meta["to"], serde_json::json!([{"email": "jane@example.com"}]));
    assert_eq!(meta["from"][0]["name"], "Acme Support");
}

#[test]
fn kobject_klass_link_quirk() {
    let page: Page<KObject> = decode(fixture("kobjects").as_bytes()).unwrap();
    let ko = page.data.into_iter().next().unwrap();
    assert_eq!(ko.kind, "kobject.order");
    let rel = &ko.relationships["klass"];
    assert_eq!(rel.self_link(), Some("/v1/klasses/order"));
    let flat = ko.flatten();
    let col = KObject::schema().table.column_index("klass_name").unwrap();
    assert_eq!(flat.row[col], Cell::Text("order".into()));
    assert!(flat.row.last().unwrap().is_null(), "klass must not reach _extra");
}

#[test]
fn note_mentions_become_child_rows() {
    let page: Page<Note> = decode(fixture("notes").as_bytes()).unwrap();
    let flat = page.data.into_iter().next().unwrap().flatten();
    let names: Vec<_> = Note::schema().children.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["note_user_mentions", "note_team_mentions"]);
    assert_eq!(flat.children[0].len(), 2);
    assert_eq!(flat.children[0][1][2], Cell::Text("5cb5e5a780b7e30014e4b6c5".into()));
    assert_eq!(flat.children[1].len(), 1);
}

#[test]
fn password_secrets_never_reach_a_row() {
    let page: Page<User> = decode(fixture("users").as_bytes()).unwrap();
    for user in page.data {
        let flat = user.flatten();
        let text = serde_json::to_string(&flat.row).unwrap();
        assert!(!text.contains("$2b$"), "{text}");
    }
}

#[test]
fn updated_at_is_the_cursor() {
    let page: Page<Message> = decode(fixture("messages").as_bytes()).unwrap();
    let m = &page.data[0];
    assert_eq!(m.id(), "65e1a0c2b1f0a3001e4d2a20");
    assert_eq!(m.updated_at().unwrap().to_rfc3339(), "2024-03-01T09:58:14.200+00:00");
}

#[test]
fn a_relationship_of_an_unexpected_shape_is_kept_not_fatal() {
    let body = br#"{"data":[{"type":"shortcut","id":"s1","attributes":{"name":"x"},
        "relationships":{"accessUsers":["u1","u2"],"org":{"data":{"type":"org","id":"o1"}}}}]}"#;
    let page: kustomer_models::Page<kustomer_models::Shortcut> = kustomer_models::decode(body).unwrap();
    let s = &page.data[0];
    assert_eq!(s.relationships["org"].id(), Some("o1"));
    assert_eq!(s.relationships["accessUsers"].extra["value"].get(), r#"["u1","u2"]"#);
}

#[test]
fn audit_logs_page_by_cursor() {
    let page: Page<AuditLog> = decode(fixture("audit_logs").as_bytes()).unwrap();
    assert_eq!(page.meta.count.map(|c| c.0), Some(2));
    assert_eq!(page.meta.total.map(|c| c.0), Some(5873));
    assert_eq!(page.meta.cursor_count.map(|c| c.0), Some(2));
    assert_eq!(
        page.links.next.as_deref(),
        Some("/v1/audit-logs?count=2&before=65f4c5d6e7f8090012aa0001")
    );
    assert!(page.links.prev.as_deref().unwrap().contains("&after="));
    assert_eq!(page.data[1].attributes.object_type, Some(AuditObjectType::WorkItem));
    let flat = page.data.into_iter().next().unwrap().flatten();
    let t = &AuditLog::schema().table;
    // The `userId` attribute and the `user` relationship both keep their value.
    assert_eq!(
        flat.row[t.column_index("user_id").unwrap()],
        Cell::Text("5cb5e5a780b7e30014e4b6c3".into())
    );
    assert_eq!(
        flat.row[t.column_index("audit_log_user_id").unwrap()],
        Cell::Text("5cb5e5a780b7e30014e4b6c3".into())
    );
}

#[test]
fn secrets_never_reach_a_row() {
    fn rows_text<E: Entity>(name: &str) -> String {
        let page: Page<E> = decode(fixture(name).as_bytes()).unwrap();
        let rows: Vec<_> = page.data.into_iter().map(|r| r.flatten().row).collect();
        serde_json::to_string(&rows).unwrap()
    }
    let hooks = rows_text::<OutboundWebhook>("outbound_webhooks");
    assert!(!hooks.contains("whsec_") && !hooks.contains("s3cr3t"), "{hooks}");
    assert!(hooks.contains("Authorization"), "header names are kept");
    let tokens = rows_text::<AuthToken>("auth_tokens");
    assert!(!tokens.contains("eyJhbGci"), "{tokens}");
    assert!(tokens.contains("x9Qz"), "lastTokenChars is kept");
    let settings = rows_text::<AuthCustomerSettings>("auth_customer_settings");
    assert!(!settings.contains("cust-auth"), "{settings}");
    // Nor the models themselves.
    let page: Page<OutboundWebhook> = decode(fixture("outbound_webhooks").as_bytes()).unwrap();
    let debug = format!("{page:?}");
    let json = serde_json::to_string(&page).unwrap();
    assert!(!debug.contains("whsec_") && !json.contains("whsec_") && !json.contains("s3cr3t"));
    assert_eq!(page.data[0].attributes.token, Some(Redacted));
    assert_eq!(page.data[1].attributes.token, None);
}

#[test]
fn outbound_accounts_without_ids_get_a_stable_key() {
    let page = outbound_accounts_page(fixture("outbound_accounts").as_bytes()).unwrap();
    let ids: Vec<_> = page.data.iter().map(|a| a.id()).collect();
    assert_eq!(ids, ["postmark:email:support@acme.example", "5f0e1d2c3b4a590012345678"]);
    // The plain decoder refuses them, naming the missing member.
    let e = decode::<Page<OutboundAccount>>(fixture("outbound_accounts").as_bytes()).unwrap_err();
    assert!(e.message.contains("missing field `id`"), "{e}");
    assert!(outbound_accounts_page(b"{\"data\":[").is_err());
}

#[test]
fn times_as_iso_text_or_epoch_millis() {
    let page: Page<Queue> = decode(fixture("queues").as_bytes()).unwrap();
    let a = page.data[0].attributes.created_at.unwrap();
    let b = page.data[1].attributes.created_at.unwrap();
    assert!(matches!(a, FlexTime::Iso(_)));
    assert_eq!(b, FlexTime::Millis(1575885600000));
    assert_eq!(b.at().to_rfc3339(), "2019-12-09T10:00:00+00:00");
    // Each serializes back in the form it came in.
    assert_eq!(serde_json::to_string(&b).unwrap(), "1575885600000");
    let t: FlexTime = serde_json::from_str(r#""1575885600000""#).unwrap();
    assert_eq!(t, b);
    let body = page_of(&[r#"{"type":"queue","id":"q","attributes":{"createdAt":"yesterday"}}"#]);
    let page: Page<Queue> = decode(body.as_bytes()).unwrap();
    assert_eq!(page.data[0].attributes.extra["createdAt"].get(), r#""yesterday""#);
}

#[test]
fn type_attributes_get_their_own_column() {
    let page: Page<Snooze> = decode(fixture("snoozes").as_bytes()).unwrap();
    assert_eq!(page.data[0].attributes.kind.as_deref(), Some("dayTime"));
    let flat = page.data.into_iter().next().unwrap().flatten();
    let t = &Snooze::schema().table;
    assert_eq!(flat.row[t.column_index("type").unwrap()], Cell::Text("snooze".into()));
    assert_eq!(
        flat.row[t.column_index("snooze_type").unwrap()],
        Cell::Text("dayTime".into())
    );
    // Round trip keeps the wire name.
    let page: Page<Setting> = decode(fixture("settings").as_bytes()).unwrap();
    let text = serde_json::to_string(&page.data[0].attributes).unwrap();
    assert!(text.contains(r#""type":"boolean""#), "{text}");
}

#[test]
fn side_loaded_resources_are_picked_by_type() {
    let slas: Page<Sla> = decode(fixture("slas").as_bytes()).unwrap();
    let versions = slas.included_of::<SlaVersion>().unwrap();
    assert_eq!(versions.len(), 3);
    assert!(slas.included_of::<Holiday>().unwrap().is_empty());
    let criteria = versions[1].attributes.criteria.as_ref().unwrap();
    assert_eq!(criteria.0.len(), 3);
    assert!(versions[2].attributes.criteria.is_none());
    let schedules: Page<BusinessSchedule> = decode(fixture("business_schedules").as_bytes()).unwrap();
    let holidays = schedules.included_of::<Holiday>().unwrap();
    assert_eq!(holidays[0].attributes.name.as_deref(), Some("Independence Day"));
    let flat = schedules.data.into_iter().next().unwrap().flatten();
    assert_eq!(flat.children[0].len(), 2, "business_schedule_holidays");
}

#[test]
fn routing_status_types() {
    let page: Page<RoutingStatus> = decode(fixture("routing_statuses").as_bytes()).unwrap();
    assert_eq!(page.data[0].attributes.status_type, Some(RoutingStatusType::Available));
    assert_eq!(
        page.data[1].attributes.status_type,
        Some(RoutingStatusType::Unknown("away".into()))
    );
}
