//! Companies (`type: company`): organisations customers belong to.

use chrono::{DateTime, Utc};

use super::common::{Email, Location, Phone, Social, Url};
use crate::custom::CustomAttributes;
use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Flex, Json};

record! {
    /// A company's attributes (AppFlow `Companies`; real payloads of the
    /// MeltanoLabs tap).
    pub struct CompanyAttributes {
        "name" => name: Option<String>,
        "externalId" => external_id: Option<String>,
        "deleted" => deleted: Option<bool>,
        "rev" => rev: Option<Count>,
        "custom" => custom: Option<CustomAttributes>,
        "roleGroupVersions" => role_group_versions: Option<Json>,
        "importedAt" => imported_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
    lists {
        "emails" => emails: Option<Vec<Email>>,
        "phones" => phones: Option<Vec<Phone>>,
        "locations" => locations: Option<Vec<Location>>,
        "socials" => socials: Option<Vec<Social>>,
        "urls" => urls: Option<Vec<Url>>,
        /// Domain names (`acme.example`).
        "domains" => domains: Option<Vec<Flex>>,
        /// Tag ids.
        "tags" => tags: Option<Vec<Flex>>,
        "whatsapps" => whatsapps: Option<Vec<Phone>>,
    }
}

entity! {
    /// A company resource.
    pub type Company = Resource<CompanyAttributes> {
        resource: "company",
        table: "companies",
        singular: "company",
        doc: "Companies (organizations) customers belong to",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {
            emails, phones, locations, socials, urls,
            domains => "domain",
            tags => "tag_id",
            whatsapps,
        }
        relationship_lists {}
        custom: custom,
    }
}
