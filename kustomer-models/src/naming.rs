//! Name conversions shared by every table definition.

/// Converts an API name (`updatedAt`, `sharedEmails`, `totalSpentNum`) to the
/// snake_case column name warehouses expect (`updated_at`, `shared_emails`,
/// `total_spent_num`).
///
/// Runs of capitals are kept together (`externalURL` → `external_url`), and any
/// character that is not ASCII alphanumeric becomes `_`, so the result is always
/// a plain SQL identifier.
///
/// ```
/// assert_eq!(kustomer_models::snake_case("lastMessageAt"), "last_message_at");
/// assert_eq!(kustomer_models::snake_case("externalURL"), "external_url");
/// assert_eq!(kustomer_models::snake_case("shopify-orders"), "shopify_orders");
/// ```
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    if trimmed.is_empty() {
        "_".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn converts_api_names() {
        for (input, want) in [
            ("id", "id"),
            ("updatedAt", "updated_at"),
            ("sharedExternalIds", "shared_external_ids"),
            (
                "lastMessageUnrespondedToSinceLastDone",
                "last_message_unresponded_to_since_last_done",
            ),
            ("totalSpentNum", "total_spent_num"),
            ("s3DataUrl", "s3_data_url"),
            ("ABC", "abc"),
            ("acme_app.loyalty-card", "acme_app_loyalty_card"),
            ("_id", "id"),
        ] {
            assert_eq!(snake_case(input), want, "{input}");
        }
    }
}
