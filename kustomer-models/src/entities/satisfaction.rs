//! Satisfaction forms (`type: satisfaction`): the CSAT surveys sent after
//! conversations.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A satisfaction form's attributes (AppFlow `Satisfaction`; tap
    /// `satisfaction`; `GET /v1/satisfaction`).
    pub struct SatisfactionAttributes {
        "name" => name: Option<String>,
        "description" => description: Option<String>,
        "enabled" => enabled: Option<bool>,
        "formType" => form_type: Option<String>,
        "channel" => channel: Option<String>,
        /// The sending account (`{account, app, channel}`).
        "from" => from: Option<Json>,
        "metaTitle" => meta_title: Option<String>,
        "metaDescription" => meta_description: Option<String>,
        /// Delay before sending.
        "delayTime" => delay_time: Option<f64>,
        /// The rating scale (`{options, type, labelHigh, labelLow}`).
        "scale" => scale: Option<Json>,
        "introduction" => introduction: Option<String>,
        "ratingPrompt" => rating_prompt: Option<String>,
        "questions" => questions: Option<Json>,
        "positiveQuestions" => positive_questions: Option<Json>,
        "negativeQuestions" => negative_questions: Option<Json>,
        "allQuestions" => all_questions: Option<Json>,
        "followUpType" => follow_up_type: Option<String>,
        /// Which conversations get the survey (`{and, or}`).
        "criteria" => criteria: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A satisfaction form resource.
    pub type Satisfaction = Resource<SatisfactionAttributes> {
        resource: "satisfaction",
        table: "satisfactions",
        singular: "satisfaction",
        doc: "Satisfaction (CSAT) survey definitions",
        relationships {
            "org" => "org_id",
            "template" => "template_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
