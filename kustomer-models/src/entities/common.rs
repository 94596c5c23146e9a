//! Nested items shared by several entities (customers and companies both
//! have e-mails, phones, socials, urls and locations), SLA criteria and
//! webhook headers.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::record::{record, ChildList};
use crate::redact::Redacted;
use crate::value::{Extra, Json};

record! {
    /// An e-mail address (`emails[]`, `sharedEmails[]`).
    pub struct Email {
        "type" => kind: Option<String>,
        "email" => email: Option<String>,
        "verified" => verified: Option<bool>,
    }
}

record! {
    /// A phone number (`phones[]`, `sharedPhones[]`, `whatsapps[]`).
    pub struct Phone {
        "type" => kind: Option<String>,
        "phone" => phone: Option<String>,
        "verified" => verified: Option<bool>,
    }
}

record! {
    /// A social profile (`socials[]`, `sharedSocials[]`).
    pub struct Social {
        "type" => kind: Option<String>,
        "userid" => userid: Option<String>,
        "username" => username: Option<String>,
        "url" => url: Option<String>,
        "verified" => verified: Option<bool>,
    }
}

record! {
    /// A URL (`urls[]`).
    pub struct Url {
        "type" => kind: Option<String>,
        "url" => url: Option<String>,
    }
}

record! {
    /// A postal location (`locations[]`).
    pub struct Location {
        "type" => kind: Option<String>,
        "name" => name: Option<String>,
        "address" => address: Option<String>,
        "address2" => address2: Option<String>,
        "address3" => address3: Option<String>,
        "latitude" => latitude: Option<f64>,
        "longitude" => longitude: Option<f64>,
        "countryCode" => country_code: Option<String>,
        "countryName" => country_name: Option<String>,
        "regionCode" => region_code: Option<String>,
        "regionName" => region_name: Option<String>,
        "cityName" => city_name: Option<String>,
        "zipCode" => zip_code: Option<String>,
        "areaCode" => area_code: Option<String>,
    }
}

record! {
    /// An external id (`externalIds[]`, `sharedExternalIds[]`).
    pub struct ExternalId {
        "externalId" => external_id: Option<String>,
        "verified" => verified: Option<bool>,
    }
}

record! {
    /// A message attachment (`attachments[]`).
    pub struct Attachment {
        "_id" => id: Option<String>,
        "name" => name: Option<String>,
        "contentType" => content_type: Option<String>,
        "contentLength" => content_length: Option<crate::value::Count>,
        "payload" => payload: Option<Json>,
    }
}

record! {
    /// One condition of a [`Criteria`] object: `{"<field>": {"operator": …,
    /// "value": …}}` inside its `and`/`or` list. Other keys of the condition
    /// land in `extra`.
    pub struct Criterion {
        /// The list it came from: `and` or `or`.
        "conjunction" => conjunction: Option<String>,
        /// The field tested (`conversation_channel`); `None` for a list item
        /// that is not a `{field: condition}` object (kept whole in `value`).
        "field" => field: Option<String>,
        "operator" => operator: Option<String>,
        "value" => value: Option<Json>,
    }
}

/// Matching criteria, `{"and": [{"<field>": {"operator": …, "value": …}}],
/// "or": [...]}` (an SLA version's `criteria`), flattened to one
/// [`Criterion`] per condition so they can load as a child table. Serializes
/// back to the wire shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Criteria(pub Vec<Criterion>);

impl Criteria {
    fn push_group(&mut self, conjunction: String, items: Json) {
        let Ok(list) = serde_json::from_str::<Vec<Json>>(items.get()) else {
            // Not a list: one row keeps it whole.
            return self.push_value(conjunction, None, items);
        };
        for item in list {
            match serde_json::from_str::<BTreeMap<String, Json>>(item.get()) {
                Ok(conditions) => {
                    for (field, condition) in conditions {
                        self.push_condition(conjunction.clone(), field, condition);
                    }
                }
                Err(_) => self.push_value(conjunction.clone(), None, item),
            }
        }
    }

    fn push_condition(&mut self, conjunction: String, field: String, condition: Json) {
        let Ok(mut parts) = serde_json::from_str::<Extra>(condition.get()) else {
            return self.push_value(conjunction, Some(field), condition);
        };
        let mut c = Criterion {
            conjunction: Some(conjunction),
            field: Some(field),
            value: parts.remove("value"),
            ..Criterion::default()
        };
        if let Some(op) = parts.remove("operator") {
            match serde_json::from_str::<String>(op.get()) {
                Ok(text) => c.operator = Some(text),
                Err(_) => {
                    parts.insert("operator".into(), op);
                }
            }
        }
        c.extra = parts;
        self.0.push(c);
    }

    fn push_value(&mut self, conjunction: String, field: Option<String>, value: Json) {
        self.0.push(Criterion {
            conjunction: Some(conjunction),
            field,
            value: Some(value),
            ..Criterion::default()
        });
    }
}

impl<'de> Deserialize<'de> for Criteria {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let groups = BTreeMap::<String, Json>::deserialize(d)?;
        let mut out = Criteria::default();
        for (conjunction, items) in groups {
            out.push_group(conjunction, items);
        }
        Ok(out)
    }
}

impl Serialize for Criteria {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut groups: BTreeMap<&str, Vec<serde_json::Value>> = BTreeMap::new();
        for c in &self.0 {
            let item = match &c.field {
                Some(field) => {
                    let mut cond = serde_json::Map::new();
                    if let Some(op) = &c.operator {
                        cond.insert("operator".into(), op.clone().into());
                    }
                    if let Some(v) = &c.value {
                        cond.insert("value".into(), v.to_value());
                    }
                    for (k, v) in &c.extra {
                        cond.insert(k.clone(), v.to_value());
                    }
                    let mut item = serde_json::Map::new();
                    item.insert(field.clone(), cond.into());
                    item.into()
                }
                None => c.value.as_ref().map_or(serde_json::Value::Null, Json::to_value),
            };
            groups
                .entry(c.conjunction.as_deref().unwrap_or("and"))
                .or_default()
                .push(item);
        }
        groups.serialize(s)
    }
}

impl ChildList for Criteria {
    type Item = Criterion;
    fn into_items(self) -> Vec<Criterion> {
        self.0
    }
}

record! {
    /// A custom header an outbound webhook sends (`headers[]`). Its value is
    /// withheld: headers usually carry credentials.
    pub struct WebhookHeader {
        "name" => name: Option<String>,
        "value" => value: Option<Redacted>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_flatten_and_serialize_back() {
        let text = r#"{"and":[{"conversation_channel":{"operator":"equals","value":"email"}},
            {"conversation_priority":{"operator":"gte","value":3,"caseSensitive":false}}],
            "or":[{"customer_tags":{"operator":"contains","value":["vip"]}}, "odd"]}"#;
        let c: Criteria = serde_json::from_str(text).unwrap();
        assert_eq!(c.0.len(), 4);
        assert_eq!(c.0[1].field.as_deref(), Some("conversation_priority"));
        assert_eq!(c.0[1].value.as_ref().map(Json::get), Some("3"));
        assert!(c.0[1].extra.contains_key("caseSensitive"));
        assert_eq!(c.0[2].conjunction.as_deref(), Some("or"));
        assert_eq!(c.0[3].field, None);
        let back: serde_json::Value = serde_json::to_value(&c).unwrap();
        let want: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(back, want);
    }
}
