//! `s3://` for delta-rs without its AWS SDK crate: object_store's S3 client,
//! configured from the standard `AWS_*` variables (`AWS_ENDPOINT_URL` for an
//! S3-compatible server), commits through the default log store, whose
//! put-if-absent of `_delta_log/N.json` is a conditional put
//! (`If-None-Match: *`): two writers never both commit version N.

use std::sync::{Arc, Once};

use deltalake_core::logstore::{
    default_logstore, logstore_factories, object_store_factories, LogStore, LogStoreFactory, ObjectStoreFactory,
    ObjectStoreRef, StorageConfig,
};
use deltalake_core::{DeltaResult, DeltaTableError, Path};
use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
use url::Url;

struct S3;

impl ObjectStoreFactory for S3 {
    fn parse_url_opts(&self, url: &Url, _config: &StorageConfig) -> DeltaResult<(ObjectStoreRef, Path)> {
        let mut b = AmazonS3Builder::from_env()
            .with_url(url.as_str())
            .with_conditional_put(S3ConditionalPut::ETagMatch);
        // A loopback or on-premises server speaks plain HTTP.
        let endpoint = std::env::var("AWS_ENDPOINT_URL")
            .or_else(|_| std::env::var("AWS_ENDPOINT"))
            .unwrap_or_default();
        if endpoint.starts_with("http://") {
            b = b.with_allow_http(true);
        }
        if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
            b = b.with_region("us-east-1");
        }
        // Never the builder's Debug or the keys: only object_store's message.
        let store = b
            .build()
            .map_err(|e| DeltaTableError::Generic(format!("s3: {}", redact(&e.to_string()))))?;
        let path = Path::parse(url.path()).map_err(|e| DeltaTableError::Generic(format!("s3 path: {e}")))?;
        Ok((Arc::new(store), path))
    }
}

impl LogStoreFactory for S3 {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(prefixed_store, root_store, location, options))
    }
}

/// Teaches delta-rs the `s3://` scheme (once per process).
pub fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let scheme = Url::parse("s3://").expect("a valid scheme");
        object_store_factories().insert(scheme.clone(), Arc::new(S3));
        logstore_factories().insert(scheme, Arc::new(S3));
    });
}

/// Removes the secret key from a message, should a library ever echo it.
pub fn redact(msg: &str) -> String {
    match std::env::var("AWS_SECRET_ACCESS_KEY") {
        Ok(k) if !k.is_empty() => msg.replace(&k, "***"),
        _ => msg.to_owned(),
    }
}
