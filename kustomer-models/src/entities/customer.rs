//! Customers (`type: customer`): the people an org talks to.

use chrono::{DateTime, Utc};

use super::common::{Email, ExternalId, Location, Phone, Social, Url};
use crate::custom::CustomAttributes;
use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Flex, Json};

record! {
    /// A customer's attributes (spec §7.1; Stitch `customers`).
    pub struct CustomerAttributes {
        "name" => name: Option<String>,
        "displayName" => display_name: Option<String>,
        "displayColor" => display_color: Option<String>,
        "displayIcon" => display_icon: Option<String>,
        "firstName" => first_name: Option<String>,
        "lastName" => last_name: Option<String>,
        "username" => username: Option<String>,
        "externalId" => external_id: Option<String>,
        "avatarUrl" => avatar_url: Option<String>,
        "gender" => gender: Option<String>,
        "locale" => locale: Option<String>,
        "timeZone" => time_zone: Option<String>,
        "companyName" => company_name: Option<String>,
        "defaultLang" => default_lang: Option<String>,
        "progressiveStatus" => progressive_status: Option<String>,
        "verified" => verified: Option<bool>,
        "deleted" => deleted: Option<bool>,
        "rev" => rev: Option<Count>,
        "custom" => custom: Option<CustomAttributes>,
        "facebookIds" => facebook_ids: Option<Json>,
        "instagramIds" => instagram_ids: Option<Json>,
        "smoochIds" => smooch_ids: Option<Json>,
        "activeUsers" => active_users: Option<Json>,
        "watchers" => watchers: Option<Json>,
        "recentLocation" => recent_location: Option<Json>,
        "recentItems" => recent_items: Option<Json>,
        "conversationCounts" => conversation_counts: Option<Json>,
        "lastConversation" => last_conversation: Option<Json>,
        "lastMessageIn" => last_message_in: Option<Json>,
        "lastMessageOut" => last_message_out: Option<Json>,
        "lastMessageUnrespondedTo" => last_message_unresponded_to: Option<Json>,
        "preview" => preview: Option<Json>,
        "sentiment" => sentiment: Option<Json>,
        "satisfactionLevel" => satisfaction_level: Option<Json>,
        "roleGroupVersions" => role_group_versions: Option<Json>,
        "accessOverride" => access_override: Option<Json>,
        "birthdayAt" => birthday_at: Option<DateTime<Utc>>,
        "signedUpAt" => signed_up_at: Option<DateTime<Utc>>,
        "lastSeenAt" => last_seen_at: Option<DateTime<Utc>>,
        "lastMessageAt" => last_message_at: Option<DateTime<Utc>>,
        "lastActivityAt" => last_activity_at: Option<DateTime<Utc>>,
        "lastCustomerActivityAt" => last_customer_activity_at: Option<DateTime<Utc>>,
        "importedAt" => imported_at: Option<DateTime<Utc>>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
    lists {
        "emails" => emails: Option<Vec<Email>>,
        "phones" => phones: Option<Vec<Phone>>,
        "socials" => socials: Option<Vec<Social>>,
        "urls" => urls: Option<Vec<Url>>,
        "locations" => locations: Option<Vec<Location>>,
        "externalIds" => external_ids: Option<Vec<ExternalId>>,
        "sharedEmails" => shared_emails: Option<Vec<Email>>,
        "sharedPhones" => shared_phones: Option<Vec<Phone>>,
        "sharedSocials" => shared_socials: Option<Vec<Social>>,
        "sharedExternalIds" => shared_external_ids: Option<Vec<ExternalId>>,
        "tags" => tags: Option<Vec<Flex>>,
        "whatsapps" => whatsapps: Option<Vec<Phone>>,
    }
}

entity! {
    /// A customer resource.
    pub type Customer = Resource<CustomerAttributes> {
        resource: "customer",
        table: "customers",
        singular: "customer",
        doc: "Customers: the people the org talks to",
        relationships {
            "org" => "org_id",
            "company" => "company_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {
            emails, phones, socials, urls, locations, external_ids,
            shared_emails, shared_phones, shared_socials, shared_external_ids,
            tags => "tag_id",
            whatsapps,
        }
        relationship_lists {}
        custom: custom,
    }
}
