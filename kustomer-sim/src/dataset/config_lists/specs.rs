//! The endpoint table: one row per served configuration list.
//!
//! Sources: `OAS` = Kustomer's own OpenAPI export (LarisLab/kustomer-client
//! `openapi.json` / `types.gen.ts`), `Meltano` = MeltanoLabs/tap-kustomer
//! `feat/tidy-up` (streams generated from Kustomer's OAS sections) or its PR #32,
//! `guess` = no public reference found. `ENDPOINTS.md` lists the same rows.

use super::{apps, core, kb, routing};
use super::{Authors, Count, Fields, Gen, Item, ListSpec, Shape, Side, CREATED, MODIFIED, UPDATED};

const PAGED: Shape = Shape::Paged { max: 100 };
const CUM: u8 = CREATED | UPDATED | MODIFIED;
const CU: u8 = CREATED | UPDATED;

/// A paged list of full items with `links.self`, all three timestamps, no authors.
const fn list(
    table: &'static str,
    path: &'static str,
    kind: &'static str,
    source: &'static str,
    count: Count,
    role: &'static str,
    fields: fn(&mut Gen<'_>) -> Fields,
) -> ListSpec {
    ListSpec {
        table,
        path,
        kind,
        source,
        id_prefix: table,
        count,
        shape: PAGED,
        item: Item::Full,
        item_links: true,
        stamps: CUM,
        authors: Authors::None,
        role,
        side: None,
        fields,
    }
}

/// Every served configuration list.
pub(crate) const SPECS: &[ListSpec] = &[
    // ----- core resources (Kustomer's OAS) -----
    ListSpec {
        id_prefix: "brand",
        authors: Authors::CreatedModified,
        ..list(
            "brands",
            "/v1/brands",
            "brand",
            "OAS path; type as conversations reference it",
            Count::Fixed(2),
            "org.permission.brand.read",
            core::brand,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        side: Some(Side {
            table: "holidays",
            kind: "holiday",
            param: "include",
            all: "holidays",
            active: None,
            on_list: false,
            render: core::holidays,
        }),
        ..list(
            "business_schedules",
            "/v1/schedules",
            "schedule",
            "OAS (path, types, holidays example)",
            Count::Fixed(2),
            "org.permission.schedule.read",
            core::schedule,
        )
    },
    ListSpec {
        id_prefix: "sla",
        item_links: false,
        stamps: CREATED,
        authors: Authors::Created,
        side: Some(Side {
            table: "sla_versions",
            kind: "sla_version",
            param: "versions",
            all: "all",
            active: Some("active"),
            on_list: true,
            render: core::sla_versions,
        }),
        ..list(
            "slas",
            "/v1/slas",
            "sla",
            "Meltano main (list undocumented); OAS for /slas/{id} and types",
            Count::Fixed(2),
            "org.permission.sla.read",
            core::sla,
        )
    },
    ListSpec {
        item_links: false,
        authors: Authors::CreatedModified,
        ..list(
            "satisfactions",
            "/v1/satisfaction",
            "satisfaction",
            "OAS",
            Count::Fixed(3),
            "org.permission.satisfaction.read",
            core::satisfaction,
        )
    },
    ListSpec {
        item_links: false,
        authors: Authors::CreatedModified,
        ..list(
            "spam_senders",
            "/v1/spam/senders",
            "sender",
            "OAS",
            Count::Fixed(6),
            "org.permission.spam.read",
            core::spam_sender,
        )
    },
    ListSpec {
        shape: Shape::Unpaged,
        item: Item::NoId,
        item_links: false,
        stamps: 0,
        ..list(
            "outbound_accounts",
            "/v1/outboundAccounts",
            "outbound_account",
            "OAS",
            Count::Fixed(4),
            "org.permission.apps.read",
            core::outbound_account,
        )
    },
    ListSpec {
        shape: Shape::Single,
        item_links: false,
        stamps: CU,
        ..list(
            "auth_customer_settings",
            "/v1/auth/customer/settings",
            "customer_settings",
            "OAS path; type guessed",
            Count::Fixed(1),
            "org.permission.auth.read",
            apps::customer_settings,
        )
    },
    ListSpec {
        shape: Shape::Bare,
        item: Item::IdOnly,
        item_links: false,
        stamps: 0,
        ..list(
            "auth_roles",
            "/v1/auth/roles",
            "role",
            "OAS path; type guessed",
            Count::Fixed(apps::ROLES.len()),
            "org.permission.auth.read",
            apps::role,
        )
    },
    ListSpec {
        stamps: CU,
        ..list(
            "auth_tokens",
            "/v1/auth/tokens",
            "auth_token",
            "OAS path; type guessed",
            Count::PerUser,
            "org.permission.auth.read",
            apps::auth_token,
        )
    },
    // ----- routing (Meltano feat/tidy-up; queues and settings also PR #32) -----
    ListSpec {
        id_prefix: "queue",
        authors: Authors::CreatedModified,
        ..list(
            "queues",
            "/v1/routing/queues",
            "queue",
            "Meltano + PR #32 path; type as conversations reference it",
            Count::Fixed(3),
            "org.permission.routing.read",
            routing::queue,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "team_routing_settings",
            "/v1/routing/settings",
            "routing_setting",
            "Meltano + PR #32 path; type guessed",
            Count::PerTeam,
            "org.permission.routing.read",
            routing::team_settings,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "routing_queue_rules",
            "/v1/routing/queue-rules",
            "queue_rule",
            "Meltano path; type guessed",
            Count::Fixed(4),
            "org.permission.routing.read",
            routing::queue_rule,
        )
    },
    ListSpec {
        stamps: CU,
        ..list(
            "routing_statuses",
            "/v1/routing/statuses",
            "routing_status",
            "Meltano path; type guessed",
            Count::Fixed(5),
            "org.permission.routing.read",
            routing::status,
        )
    },
    list(
        "routing_work_items",
        "/v1/routing/work-items",
        "work_item",
        "Meltano path; type guessed",
        Count::Fixed(20),
        "org.permission.routing.read",
        routing::work_item,
    ),
    list(
        "work_sessions",
        "/v1/routing/work-sessions",
        "work_session",
        "Meltano path; type guessed",
        Count::PerAgent(1),
        "org.permission.routing.read",
        routing::work_session,
    ),
    // ----- settings and configuration (Meltano) -----
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "cards",
            "/v1/cards",
            "card",
            "Meltano path; type guessed",
            Count::Fixed(6),
            "org.permission.apps.read",
            apps::card,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "shortcut_categories",
            "/v1/shortcuts/categories",
            "shortcut_category",
            "Meltano path; type guessed",
            Count::Fixed(4),
            "org.permission.shortcut.read",
            apps::shortcut_category,
        )
    },
    ListSpec {
        item_links: false,
        stamps: CU,
        ..list(
            "notifications",
            "/v1/notifications",
            "notification",
            "Meltano path; type guessed",
            Count::PerAgent(2),
            "org.permission.notification.read",
            apps::notification,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "snoozes",
            "/v1/snoozes",
            "snooze",
            "Meltano + PR #32 path; type guessed",
            Count::Fixed(4),
            "org.permission.snooze.read",
            apps::snooze,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "assistants",
            "/v1/assistants",
            "assistant",
            "guess (no public reference)",
            Count::Fixed(3),
            "org.permission.assistant.read",
            apps::assistant,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "apps",
            "/v1/apps",
            "app",
            "Meltano path; type guessed",
            Count::Fixed(5),
            "org.permission.apps.read",
            apps::app,
        )
    },
    ListSpec {
        shape: Shape::Single,
        item_links: false,
        stamps: CU,
        ..list(
            "chat_settings",
            "/v1/chat/settings",
            "chat_settings",
            "guess (name only, in Meltano's excluded list)",
            Count::Fixed(1),
            "org.permission.chat.read",
            apps::chat_settings,
        )
    },
    ListSpec {
        stamps: CREATED,
        ..list(
            "settings",
            "/v1/settings",
            "setting",
            "Meltano path; type guessed",
            Count::Fixed(8),
            "org.permission.settings.read",
            apps::setting,
        )
    },
    ListSpec {
        stamps: CU,
        ..list(
            "snippets",
            "/v1/snippets",
            "snippet",
            "Meltano path; type guessed",
            Count::Fixed(6),
            "org.permission.snippet.read",
            apps::snippet,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "customer_searches",
            "/v1/customers/searches",
            "search",
            "Meltano path; type guessed",
            Count::Fixed(6),
            "org.permission.search.read",
            apps::customer_search,
        )
    },
    ListSpec {
        stamps: CREATED,
        ..list(
            "customer_searches_pinned",
            "/v1/customers/searches/pinned",
            "search_pin",
            "Meltano path; type guessed",
            Count::Fixed(3),
            "org.permission.search.read",
            apps::pinned_search,
        )
    },
    ListSpec {
        shape: Shape::Single,
        item_links: false,
        ..list(
            "customer_searches_positions",
            "/v1/customers/searches/positions",
            "search_positions",
            "Meltano path; shape and type guessed",
            Count::Fixed(1),
            "org.permission.search.read",
            apps::search_positions,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "hooks_email",
            "/v1/hooks/email",
            "email_hook",
            "Meltano path; type guessed",
            Count::Fixed(2),
            "org.permission.hooks.read",
            apps::email_hook,
        )
    },
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "hooks_web",
            "/v1/hooks/web",
            "web_hook",
            "Meltano path; type guessed",
            Count::Fixed(3),
            "org.permission.hooks.read",
            apps::web_hook,
        )
    },
    list(
        "kviews",
        "/v1/kviews",
        "kview",
        "Meltano path; type guessed",
        Count::Fixed(4),
        "org.permission.kview.read",
        apps::kview,
    ),
    list(
        "outbound_webhooks",
        "/v1/outbound-webhooks",
        "outbound_webhook",
        "spec §13 / Meltano; type guessed",
        Count::Fixed(3),
        "org.permission.outbound_webhook",
        apps::outbound_webhook,
    ),
    ListSpec {
        stamps: 0,
        ..list(
            "outbound_webhook_transactions",
            "/v1/outbound-webhooks/transactions",
            "outbound_webhook_transaction",
            "spec §13 / Meltano; type guessed",
            Count::Fixed(25),
            "org.permission.outbound_webhook",
            apps::webhook_transaction,
        )
    },
    // ----- knowledge base (Meltano; tags, templates and themes are v3) -----
    ListSpec {
        authors: Authors::CreatedModified,
        ..list(
            "kb_articles",
            "/v1/kb/articles",
            "kb_article",
            "Meltano path; type guessed",
            Count::Fixed(12),
            "org.permission.kb.read",
            kb::article,
        )
    },
    ListSpec {
        stamps: CU,
        ..list(
            "kb_categories",
            "/v1/kb/categories",
            "kb_category",
            "Meltano path; type guessed",
            Count::Fixed(4),
            "org.permission.kb.read",
            kb::category,
        )
    },
    ListSpec {
        stamps: CU,
        ..list(
            "kb_forms",
            "/v1/kb/forms",
            "kb_form",
            "Meltano path; type guessed",
            Count::Fixed(2),
            "org.permission.kb.read",
            kb::form,
        )
    },
    list(
        "kb_routes",
        "/v1/kb/routes",
        "kb_route",
        "Meltano path; type guessed",
        Count::Fixed(12),
        "org.permission.kb.read",
        kb::route,
    ),
    list(
        "kb_tags",
        "/v3/kb/tags",
        "kb_tag",
        "Meltano path (v3); type guessed",
        Count::Fixed(5),
        "org.permission.kb.read",
        kb::tag,
    ),
    ListSpec {
        stamps: CU,
        ..list(
            "kb_templates",
            "/v3/kb/templates",
            "kb_template",
            "Meltano path (v3); type guessed",
            Count::Fixed(2),
            "org.permission.kb.read",
            kb::template,
        )
    },
    list(
        "kb_themes",
        "/v3/kb/themes",
        "kb_theme",
        "Meltano path (v3); type guessed",
        Count::Fixed(2),
        "org.permission.kb.read",
        kb::theme,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// `ENDPOINTS.md` has a row naming each list's table, path, type, source and paging.
    #[test]
    fn endpoints_md_matches_the_table() {
        let doc = include_str!("../../../ENDPOINTS.md");
        for spec in SPECS {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| {} | `GET {}", spec.table, spec.path)))
                .unwrap_or_else(|| panic!("ENDPOINTS.md has no row for {} {}", spec.table, spec.path));
            assert!(row.contains(&format!("| `{}` |", spec.kind)), "{row}");
            assert!(row.ends_with(&format!("| {} |", spec.source)), "{row}");
            let paging = match spec.shape {
                Shape::Paged { max } => format!("page/pageSize, max {max}"),
                Shape::Single => "single object".into(),
                Shape::Unpaged => "all records".into(),
                Shape::Bare => "`{\"data\": [".into(),
            };
            assert!(row.contains(&paging), "{row}: {paging}");
            if let Some(side) = spec.side {
                let row = doc
                    .lines()
                    .find(|l| l.starts_with(&format!("| {} | side-loaded", side.table)))
                    .unwrap_or_else(|| panic!("no row for {}", side.table));
                assert!(row.contains(&format!("`{}`", side.kind)), "{row}");
            }
        }
    }
}
