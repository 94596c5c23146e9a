//! Schema changes: new klasses and new custom attributes, each with its metadata
//! document entry and some records carrying values.

use serde_json::{json, Value};

use super::{Org, Row};
use crate::dataset::{self, custom_attrs, Draft, Refs, METADATA};
use crate::kind::Kind;
use crate::resource;
use crate::time;

impl Org {
    /// Creates klass `name` (type `klass`, served by `GET /v1/klasses` and
    /// `/v1/klasses/{id}`), its metadata document `GET /v1/metadata/kobject.<name>`
    /// (the generic KObject attribute set: one attribute per suffix plus `parentId`),
    /// and `n_objects` KObjects of it (type `kobject.<name>`, linked to random live
    /// customers). Everything is stamped with the org clock, which advances 1 ms per
    /// record. Returns the klass id.
    pub fn add_klass(&mut self, name: &str, n_objects: usize) -> String {
        let refs = Refs::collect(self.seed, |k| self.rows(k));
        let ordinal = self.table(Kind::Klass).next_ordinal;
        let id = self.ids.next(Kind::Klass, self.now);
        let mut draft = Draft::new(self.seed, Kind::Klass, id.clone(), ordinal, self.now, self.now);
        let mut value = dataset::render(Kind::Klass, &mut draft, &refs);
        let display = name.rsplit(['.', '-', '_']).next().unwrap_or(name).to_owned();
        value["attributes"]["name"] = json!(name);
        value["attributes"]["displayName"] = json!(display);
        value["relationships"]["kobjects"] = resource::link_only(&format!("/v1/klasses/{name}"));
        self.tables[Kind::Klass.ordinal()].push(Row::new(&value));
        let resource_name = format!("kobject.{name}");
        let at = time::format(self.now);
        let doc = custom_attrs::metadata_of(&resource_name, &refs.org, &at, &refs.machine_user);
        self.store_mut().entry(METADATA).retain(|v| v.id() != resource_name);
        self.store_mut().entry(METADATA).push(doc, None);
        self.tick();
        for _ in 0..n_objects {
            self.insert_with_parent(Kind::KObject, Some(value.clone()));
        }
        id
    }

    /// Defines custom attribute `name` (its suffix sets its metadata `type`) on the
    /// resource of `kind` — customer, conversation, message, company, or every live
    /// klass for [`Kind::KObject`] — and gives it a value on `n_records` live records
    /// of that kind (chosen deterministically) through [`Org::update`], which bumps
    /// their `updatedAt`. Returns the ids of the records changed; kinds without custom
    /// attributes change nothing and return an empty list.
    pub fn add_custom_attribute(&mut self, kind: Kind, name: &str, n_records: usize) -> Vec<String> {
        let resources: Vec<String> = match kind {
            Kind::Customer | Kind::Conversation | Kind::Message | Kind::Company => {
                vec![kind.resource_type().to_owned()]
            }
            Kind::KObject => (self.rows(Kind::Klass).iter())
                .filter(|r| !r.meta.deleted)
                .filter_map(|r| resource::attr_str(&r.value(), "name").map(|n| format!("kobject.{n}")))
                .collect(),
            _ => return Vec::new(),
        };
        self.add_attribute(kind, &resources, None, name, n_records)
    }

    /// [`Org::add_custom_attribute`] for the KObjects of one klass only. Returns the
    /// ids of the KObjects changed (empty if there is no such klass).
    pub fn add_klass_attribute(&mut self, klass: &str, name: &str, n_records: usize) -> Vec<String> {
        if self.klass_named(klass).is_none() {
            return Vec::new();
        }
        self.add_attribute(
            Kind::KObject,
            &[format!("kobject.{klass}")],
            Some(klass),
            name,
            n_records,
        )
    }

    fn add_attribute(
        &mut self,
        kind: Kind,
        resources: &[String],
        klass: Option<&str>,
        name: &str,
        n_records: usize,
    ) -> Vec<String> {
        let refs = Refs::collect(self.seed, |k| self.rows(k));
        let at = time::format(self.now);
        let def = custom_attrs::def(name);
        let prop = custom_attrs::property(&def, &at, &refs.machine_user);
        let org = refs.org.clone();
        for r in resources {
            let c = self.store_mut().entry(METADATA);
            if c.get(r).is_none() {
                c.push(custom_attrs::metadata(r, &org, Default::default()), None);
            }
            c.edit(r, |doc| doc["attributes"]["properties"][name] = prop.clone());
        }
        let live: Vec<String> = (self.rows(kind).iter())
            .filter(|r| !r.meta.deleted)
            .filter(|r| klass.is_none_or(|k| r.meta.klass.as_deref() == Some(k)))
            .map(|r| r.id().to_owned())
            .collect();
        let mut rng = self.mutation_rng();
        let chosen = rng.sample(&live, n_records);
        for id in &chosen {
            let (created, now) = (self.row(kind, id).map_or(self.now, |r| r.meta.created), self.now);
            let value: Value = custom_attrs::value_for(&def, &mut rng, created, now, false);
            self.update(kind, id, |attrs| {
                let custom = attrs.entry("custom").or_insert_with(|| json!({}));
                custom[name] = value;
            });
        }
        chosen
    }
}
