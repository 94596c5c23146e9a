//! Knowledge-base articles.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// An article's attributes (AppFlow `KB Articles`; tap `kb_articles`).
    pub struct KbArticleAttributes {
        "title" => title: Option<String>,
        "hash" => hash: Option<String>,
        "status" => status: Option<String>,
        "scope" => scope: Option<String>,
        "source" => source: Option<String>,
        "metaTitle" => meta_title: Option<String>,
        "metaDescription" => meta_description: Option<String>,
        "metaKeywords" => meta_keywords: Option<Json>,
        /// Tag ids.
        "tags" => tags: Option<Json>,
        /// Category ids.
        "categories" => categories: Option<Json>,
        /// `[{id, featured}]`.
        "knowledgeBases" => knowledge_bases: Option<Json>,
        /// Versions per language.
        "langVersions" => lang_versions: Option<Json>,
        /// Latest state per language (`{en_us: {status, outdated}}`).
        "latestLangs" => latest_langs: Option<Json>,
        "deleted" => deleted: Option<bool>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "publishedAt" => published_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An article resource (`GET /v1/kb/articles`). Per-language relationships
    /// (`published_en_us`, …) and access lists are kept in `_extra`.
    pub type KbArticle = Resource<KbArticleAttributes> {
        resource: "kb_article",
        table: "kb_articles",
        singular: "kb_article",
        doc: "Knowledge-base articles",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
            "publishedBy" => "published_by_id",
            "deletedBy" => "deleted_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
