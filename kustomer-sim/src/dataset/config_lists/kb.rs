//! Fields of the knowledge-base lists: articles, categories, forms, routes, tags,
//! templates and themes.

use serde_json::{json, Value};

use super::{config_id, Fields, Gen};
use crate::resource;

const TITLES: &[&str] = &[
    "Where is my order?",
    "How do I return an item?",
    "Changing your shipping address",
    "Resetting your password",
    "Payment methods we accept",
    "Gift cards",
];

fn title(i: usize) -> String {
    match i / TITLES.len() {
        0 => TITLES[i].to_owned(),
        n => format!("{} ({})", TITLES[i % TITLES.len()], n + 1),
    }
}

fn slug(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// An article; a few are drafts, one is soft-deleted (kept in the list, as the KB
/// API's `deleted`/`deletedAt` fields suggest).
pub(crate) fn article(g: &mut Gen<'_>) -> Fields {
    let deleted = g.i == 5;
    let published = g.i % 4 != 3;
    let category = g.id_in("kb_categories", g.i);
    let tags: Vec<String> = (0..g.i % 3).map(|k| g.id_in("kb_tags", g.i + k)).collect();
    let publisher = g.agent();
    let mut f = Fields::of(json!({
        "hash": format!("{:08x}", g.rng.below(1 << 32)), "title": title(g.i), "source": "kustomer",
        "status": if published { "published" } else { "draft" }, "scope": if g.i % 5 == 4 { "internal" } else { "public" },
        "publishedAt": if published { json!(g.during()) } else { Value::Null },
        "deleted": deleted, "deletedAt": if deleted { json!(g.during()) } else { Value::Null },
        "tags": tags, "categories": [category],
        "knowledgeBases": [{"id": config_id(g.ctx.seed, "knowledge-base", 0), "featured": g.i < 2}],
        "metaTitle": title(g.i), "metaDescription": format!("Help article {}", g.i), "metaKeywords": ["help", "faq"],
        "latestLangs": {"en_us": {"status": if published { "published" } else { "draft" }, "outdated": false}},
    }))
    .rel("categories", resource::to_many("kb_category", &[category]));
    if published {
        f = f.rel("publishedBy", resource::user(&publisher));
    }
    if deleted {
        f = f.rel("deletedBy", resource::user(&publisher));
    }
    f
}

/// A category (the first is the root).
pub(crate) fn category(g: &mut Gen<'_>) -> Fields {
    let name = ["Help Center", "Orders", "Returns", "Account"][g.i % 4];
    let mut f = Fields::of(json!({
        "hash": format!("{:08x}", g.rng.below(1 << 32)),
        "langs": {"en_us": {"disabled": false, "description": format!("{name} articles"), "slug": slug(name), "title": name}},
        "published": true, "positions": [], "categoryPositions": [], "root": g.i == 0,
    }));
    if g.i > 0 {
        f = f.rel("parent", g.rel_to("kb_categories", 0));
    }
    f
}

/// A public contact form.
pub(crate) fn form(g: &mut Gen<'_>) -> Fields {
    let name = ["Contact us", "Return request"][g.i % 2];
    Fields::of(json!({
        "name": name, "slug": slug(name), "hash": format!("{:08x}", g.rng.below(1 << 32)),
        "layout": [], "layoutV2": [{"type": "field", "name": "email"}], "advanced": false,
        "publishedAt": g.during(), "published": true, "snippets": [], "recaptcha": true,
        "klass": null, "channel": "email", "deflection": g.i == 0, "formHookEnabled": g.i == 1,
        "replyFrom": "support@acme.example",
    }))
    .rel("publishedBy", resource::user(&g.ctx.refs.machine_user))
}

/// The public URL of an article (one route per article).
pub(crate) fn route(g: &mut Gen<'_>) -> Fields {
    let article = g.id_in("kb_articles", g.i);
    Fields::of(json!({
        "url": format!("/en_us/{}-{}", slug(&title(g.i)), &article[18..]),
        "routableType": "article", "routableId": article,
    }))
    .rel("article", g.rel_to("kb_articles", g.i))
}

/// An article tag.
pub(crate) fn tag(g: &mut Gen<'_>) -> Fields {
    Fields::of(json!({"name": (["shipping", "returns", "billing", "account", "promo"][g.i % 5])}))
}

/// A site template.
pub(crate) fn template(g: &mut Gen<'_>) -> Fields {
    Fields::of(json!({
        "title": (["Classic", "Modern"][g.i % 2]), "description": "A help-center theme template",
        "jsxSnippets": ["<Header />", "<Footer />"], "images": [format!("https://cdn.example/kb/template-{}.png", g.i)],
        "version": format!("1.{}.0", g.i),
    }))
}

/// An installed theme (the first is active).
pub(crate) fn theme(g: &mut Gen<'_>) -> Fields {
    Fields::of(json!({
        "name": (["Acme light", "Acme dark"][g.i % 2]), "active": g.i == 0, "default": g.i == 0,
        "lastFileUpdatedAt": g.during(), "status": "ready",
        "manifest": [{"name": "colors", "label": "Colors", "enabled": true,
                      "variables": {"linksColor": {"name": "linksColor", "type": "color", "value": "#3949ab"}}}],
        "configSnippets": [], "jsxSnippets": [], "rev": 1 + g.i, "templateVersionId": g.id_in("kb_templates", g.i),
    }))
}
