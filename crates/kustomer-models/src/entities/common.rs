//! Nested list items shared by several entities (customers and companies both
//! have e-mails, phones, socials, urls and locations).

use crate::record::record;
use crate::value::Json;

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
