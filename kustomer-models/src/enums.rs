//! Enumerations from the API. Every enum keeps values it does not know in an
//! `Unknown(String)` variant: a new channel or status never fails a record.

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[doc = $doc:literal])* $variant:ident = $wire:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[doc = $doc])* #[doc = concat!("`", $wire, "`")] $variant, )*
            /// A value this version does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl ::serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                d.deserialize_str(V)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl $crate::value::Scalar for $name {
            const TYPE: $crate::table::LogicalType = $crate::table::LogicalType::Text;
            fn into_cell(self) -> $crate::cell::Cell {
                match self {
                    $name::Unknown(s) => $crate::cell::Cell::Text(s),
                    known => $crate::cell::Cell::Text(known.as_str().to_owned()),
                }
            }
        }
    };
}

string_enum! {
    /// A conversation's status.
    pub enum ConversationStatus { Open = "open", Done = "done", Snoozed = "snoozed" }
}

string_enum! {
    /// A message channel.
    pub enum Channel {
        Email = "email", Sms = "sms", Chat = "chat", Facebook = "facebook", TwitterDm = "twitter-dm",
        TwitterTweet = "twitter-tweet", Voice = "voice", Instagram = "instagram", Whatsapp = "whatsapp",
    }
}

string_enum! {
    /// Direction of a message or conversation.
    pub enum Direction { In = "in", Out = "out" }
}

string_enum! {
    /// A message's delivery status.
    pub enum MessageStatus { Sent = "sent", Received = "received", Error = "error" }
}

string_enum! {
    /// Whether a klass is enabled.
    pub enum KlassStatus { Enabled = "enabled", Disabled = "disabled", ExistingOnly = "existing_only" }
}

string_enum! {
    /// The kind of user.
    pub enum UserType { User = "user", Machine = "machine", Limited = "limited" }
}

string_enum! {
    /// The type of a routing user status, which is what routing acts on.
    pub enum RoutingStatusType {
        /// Ready for new work; the only type that receives routed items.
        Available = "available",
        /// On a call or in wrap-up; receives nothing new.
        Busy = "busy",
        /// Signed in but not taking work.
        Unavailable = "unavailable",
        /// Signed out; ends the work session.
        Offline = "offline",
    }
}

string_enum! {
    /// The kind of object an audit log entry is about (the documented values
    /// of `filter[objectType]`).
    pub enum AuditObjectType {
        BillSubscription = "bill_subscription", BusinessRule = "business_rule", Company = "company",
        Conversation = "conversation", Customer = "customer", Message = "message", Search = "search",
        Shortcut = "shortcut", User = "user", WorkItem = "work_item", IpRule = "ip_rule",
        WorkSession = "work_session", ShopifyRest = "shopify_rest",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept() {
        let s: ConversationStatus = serde_json::from_str("\"waiting\"").unwrap();
        assert_eq!(s, ConversationStatus::Unknown("waiting".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"waiting\"");
        let c: Channel = serde_json::from_str("\"twitter-dm\"").unwrap();
        assert_eq!(c, Channel::TwitterDm);
    }
}
