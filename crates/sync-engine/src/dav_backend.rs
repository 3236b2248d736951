//! [`DavBackend`]: the `dav_server::Backend` implementation over the engine. Collections are the
//! mirrored folders (calendar folders → VEVENT calendars, task folders → VTODO calendars,
//! contact folders → address books); resources are rendered from the mirror with `mapping`
//! (cached in the store for the default format, in memory for vCard 4.0); the change feed is the
//! store's change log; writes go through to Exchange before they are answered.

use std::sync::Arc;

use dav_server::backend::{
    Backend, BackendError, BackendResult, ChangeSet, CollectionInfo, CollectionKind, CollectionPatch, Format, Home,
    PrincipalInfo, PutOutcome, Resource, ResourceMeta, WriteCondition,
};
use store::{ChangeKind, Folder, FolderPatch, Item, ItemSummary, Precondition};

use crate::account::{class_of, Account};
use crate::engine::{blocking, Engine};
use crate::error::{EngineError, Result};
use crate::sync::ensure_fresh;
use crate::write::WriteOp;

/// Suffix that distinguishes the vCard 4.0 representation's ETag from the default one.
const V4_SUFFIX: &str = "-v4";

/// The DAV backend of an [`Engine`]; cheap to clone.
#[derive(Clone)]
pub struct DavBackend {
    engine: Arc<Engine>,
    v4: moka::future::Cache<(i64, String, String), Arc<String>>,
}

impl DavBackend {
    /// A backend over `engine` (also available as [`Engine::dav_backend`]).
    pub fn new(engine: Arc<Engine>) -> Self {
        DavBackend {
            engine,
            v4: moka::future::Cache::builder().max_capacity(20_000).build(),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    async fn ready(&self, user: &str) -> Result<Arc<Account>> {
        let acct = self.engine.account(user).await?;
        acct.check_unlocked()?;
        acct.touch();
        acct.ensure_ready(&self.engine).await?;
        Ok(acct)
    }

    async fn folder(&self, acct: &Account, id: &str) -> Result<Folder> {
        let pid = acct.partnership;
        let name = id.to_owned();
        blocking(&self.engine.store, move |s| s.folder_by_collection(pid, &name))
            .await?
            .filter(|f| class_of(f.folder_type).is_some())
            .ok_or_else(|| EngineError::NotFound(format!("collection {id}")))
    }

    fn info(&self, acct: &Account, f: &Folder) -> CollectionInfo {
        let local = acct
            .local_props
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&f.id)
            .cloned()
            .unwrap_or_default();
        CollectionInfo {
            id: f.collection_name.clone(),
            kind: kind_of(f.folder_type),
            display_name: f.display_name.clone(),
            color: f.color.clone(),
            order: f.sort_order,
            description: f.description.clone(),
            timezone: local.timezone,
            seq: u64::try_from(f.change_seq).unwrap_or(0),
            dead_props: local.dead,
        }
    }

    /// Renders one item in `format`, using (and filling) the caches.
    async fn render(&self, acct: &Account, folder: &Folder, item: &Item, format: Format) -> Result<String> {
        let class = class_of(folder.folder_type).ok_or_else(|| EngineError::NotFound("folder".into()))?;
        let version = acct.client.version().unwrap_or(mapping::ProtocolVersion::V16_1);
        if format == Format::VCard4 {
            let key = (folder.id.0, item.resource_name.clone(), item.etag.clone());
            if let Some(s) = self.v4.get(&key).await {
                return Ok((*s).clone());
            }
            let text = render_item(item, class, version, mapping::VcardVersion::V4)?;
            self.v4.insert(key, Arc::new(text.clone())).await;
            return Ok(text);
        }
        if let Some(r) = item.rendered.as_ref().and_then(|r| String::from_utf8(r.clone()).ok()) {
            return Ok(r);
        }
        let text = render_item(item, class, version, mapping::VcardVersion::V3)?;
        let (fid, name, etag, bytes) = (
            folder.id,
            item.resource_name.clone(),
            item.etag.clone(),
            text.clone().into_bytes(),
        );
        blocking(&self.engine.store, move |s| s.set_rendered(fid, &name, &etag, &bytes)).await?;
        Ok(text)
    }

    /// Metadata of the given summaries in `format` (renders what has no cached size).
    async fn metas(
        &self,
        acct: &Account,
        folder: &Folder,
        items: Vec<ItemSummary>,
        format: Format,
    ) -> Result<Vec<ResourceMeta>> {
        let missing: Vec<String> = items
            .iter()
            .filter(|i| format == Format::VCard4 || i.rendered_len.is_none())
            .map(|i| i.resource_name.clone())
            .collect();
        let mut sizes = std::collections::HashMap::new();
        for chunk in missing.chunks(256) {
            let fid = folder.id;
            let names = chunk.to_vec();
            for item in blocking(&self.engine.store, move |s| s.get_items(fid, &names)).await? {
                match self.render(acct, folder, &item, format).await {
                    Ok(text) => {
                        sizes.insert(item.resource_name.clone(), text.len() as u64);
                    }
                    Err(e) => tracing::warn!(resource = %item.resource_name, error = %e, "cannot render item"),
                }
            }
        }
        Ok(items
            .into_iter()
            .filter_map(|i| {
                let size = match sizes.get(&i.resource_name) {
                    Some(s) => *s,
                    None => u64::try_from(i.rendered_len?).ok()?,
                };
                Some(ResourceMeta {
                    etag: dav_etag(&i.etag, format),
                    last_modified: i.last_modified / 1000,
                    size,
                    name: i.resource_name,
                })
            })
            .collect())
    }

    async fn list(&self, folder: &Folder) -> Result<Vec<ItemSummary>> {
        let fid = folder.id;
        blocking(&self.engine.store, move |s| s.list_items(fid)).await
    }

    async fn open(&self, user: &str, collection: &str) -> Result<(Arc<Account>, Folder)> {
        let acct = self.ready(user).await?;
        let folder = self.folder(&acct, collection).await?;
        Ok((acct, folder))
    }
}

fn kind_of(folder_type: i32) -> CollectionKind {
    match class_of(folder_type) {
        Some(mapping::ItemClass::Contacts) => CollectionKind::AddressBook,
        Some(mapping::ItemClass::Tasks) => CollectionKind::Tasks,
        _ => CollectionKind::Calendar,
    }
}

fn dav_etag(etag: &str, format: Format) -> String {
    match format {
        Format::VCard4 => format!("{etag}{V4_SUFFIX}"),
        _ => etag.to_owned(),
    }
}

fn store_etag(dav: &str) -> String {
    dav.strip_suffix(V4_SUFFIX).unwrap_or(dav).to_owned()
}

/// Renders a stored item with `mapping`.
pub(crate) fn render_item(
    item: &Item,
    class: mapping::ItemClass,
    version: mapping::ProtocolVersion,
    vcard: mapping::VcardVersion,
) -> Result<String> {
    render_payload(&item.payload, &item.residue, &item.resource_name, class, version, vcard)
        .map_err(|e| EngineError::Internal(format!("rendering {}: {e}", item.resource_name)))
}

/// Renders upstream payload bytes plus residue bytes with `mapping`; `resource_name` gives
/// contacts created in Exchange (which have no UID in EAS) a stable UID.
pub(crate) fn render_payload(
    payload: &[u8],
    residue: &[u8],
    resource_name: &str,
    class: mapping::ItemClass,
    version: mapping::ProtocolVersion,
    vcard: mapping::VcardVersion,
) -> Result<String> {
    let mut residue = if residue.is_empty() {
        mapping::Residue::default()
    } else {
        mapping::Residue::from_bytes(residue).map_err(|e| EngineError::Internal(format!("residue: {e}")))?
    };
    if class == mapping::ItemClass::Contacts
        && !residue
            .entries
            .iter()
            .any(|e| e.line.to_ascii_uppercase().starts_with("UID"))
    {
        // CardDAV requires a UID (RFC 6352 5.1); derive a stable one from the resource name.
        let stem = resource_name.strip_suffix(".vcf").unwrap_or(resource_name);
        residue.entries.push(mapping::ResidueEntry {
            path: "VCARD".to_owned(),
            line: format!("UID:easdav-{stem}"),
        });
    }
    let el = wbxml::decode(payload).map_err(|e| EngineError::Internal(format!("payload: {e}")))?;
    match class {
        mapping::ItemClass::Contacts => mapping::eas_to_vcard(&el, version, &residue, vcard),
        c => mapping::eas_to_ical(&el, c, version, &residue),
    }
    .map_err(|e| EngineError::Internal(e.to_string()))
}

fn precondition(c: &WriteCondition) -> Precondition {
    match c {
        WriteCondition::None => Precondition::None,
        WriteCondition::MustNotExist => Precondition::MustNotExist,
        WriteCondition::IfMatch(e) => Precondition::IfMatch(store_etag(e)),
    }
}

impl Backend for DavBackend {
    async fn authenticate(&self, user: &str, password: &str) -> BackendResult<Option<String>> {
        Ok(self.engine.authenticate(user, password).await?)
    }

    async fn principal(&self, user: &str) -> BackendResult<PrincipalInfo> {
        let acct = self.engine.account(user).await?;
        acct.check_unlocked()?;
        Ok(PrincipalInfo {
            user: acct.user.clone(),
            display_name: acct.user.clone(),
            emails: if acct.user.contains('@') {
                vec![acct.user.clone()]
            } else {
                Vec::new()
            },
        })
    }

    async fn list_collections(&self, user: &str, home: Home) -> BackendResult<Vec<CollectionInfo>> {
        let acct = self.ready(user).await?;
        let mut folders: Vec<Folder> = acct
            .folders(&self.engine)
            .await?
            .into_iter()
            .filter(|f| kind_of(f.folder_type).is_calendar() == (home == Home::Calendars))
            .collect();
        // Default folders (7, 8, 9) first, then by name.
        folders.sort_by_key(|f| {
            (
                !matches!(f.folder_type, 7..=9),
                f.folder_type != 8,
                f.display_name.clone(),
            )
        });
        Ok(folders.iter().map(|f| self.info(&acct, f)).collect())
    }

    async fn collection(&self, user: &str, id: &str) -> BackendResult<CollectionInfo> {
        let (acct, folder) = self.open(user, id).await?;
        Ok(self.info(&acct, &folder))
    }

    async fn list_resources(&self, user: &str, collection: &str, format: Format) -> BackendResult<Vec<ResourceMeta>> {
        let (acct, folder) = self.open(user, collection).await?;
        ensure_fresh(&acct, &self.engine, &folder).await;
        let items = self.list(&folder).await?;
        Ok(self.metas(&acct, &folder, items, format).await?)
    }

    async fn get_resources(
        &self,
        user: &str,
        collection: &str,
        names: Option<&[String]>,
        format: Format,
    ) -> BackendResult<Vec<Resource>> {
        let (acct, folder) = self.open(user, collection).await?;
        ensure_fresh(&acct, &self.engine, &folder).await;
        let names: Vec<String> = match names {
            Some(n) => n.to_vec(),
            None => self.list(&folder).await?.into_iter().map(|i| i.resource_name).collect(),
        };
        let mut out = Vec::with_capacity(names.len());
        for chunk in names.chunks(256) {
            let fid = folder.id;
            let chunk = chunk.to_vec();
            for item in blocking(&self.engine.store, move |s| s.get_items(fid, &chunk)).await? {
                match self.render(&acct, &folder, &item, format).await {
                    Ok(body) => out.push(Resource {
                        meta: ResourceMeta {
                            name: item.resource_name.clone(),
                            etag: dav_etag(&item.etag, format),
                            last_modified: item.last_modified / 1000,
                            size: body.len() as u64,
                        },
                        body,
                    }),
                    Err(e) => tracing::warn!(resource = %item.resource_name, error = %e, "cannot render item"),
                }
            }
        }
        Ok(out)
    }

    async fn changes(
        &self,
        user: &str,
        collection: &str,
        since: Option<u64>,
        limit: Option<usize>,
        format: Format,
    ) -> BackendResult<ChangeSet> {
        let (acct, folder) = self.open(user, collection).await?;
        ensure_fresh(&acct, &self.engine, &folder).await;
        let fid = folder.id;
        let since = since.map(|s| i64::try_from(s).unwrap_or(i64::MAX));
        let limit = limit.unwrap_or(usize::MAX);
        let page = blocking(&self.engine.store, move |s| s.changes_since(fid, since, limit)).await?;
        let mut changed_names = std::collections::HashSet::new();
        let mut removed = Vec::new();
        for c in &page.changes {
            match c.kind {
                ChangeKind::Delete => removed.push(c.resource_name.clone()),
                _ => {
                    changed_names.insert(c.resource_name.clone());
                }
            }
        }
        let items: Vec<ItemSummary> = self
            .list(&folder)
            .await?
            .into_iter()
            .filter(|i| changed_names.contains(&i.resource_name))
            .collect();
        let changed = self.metas(&acct, &folder, items, format).await?;
        Ok(ChangeSet {
            changed,
            removed,
            seq: u64::try_from(page.new_seq).unwrap_or(0),
            truncated: page.more,
        })
    }

    async fn put_resource(
        &self,
        user: &str,
        collection: &str,
        name: &str,
        body: &str,
        condition: WriteCondition,
    ) -> BackendResult<PutOutcome> {
        let (acct, folder) = self.open(user, collection).await?;
        let res = acct
            .write_item(
                &self.engine,
                folder.id,
                name,
                WriteOp::Put(body.to_owned()),
                precondition(&condition),
            )
            .await?;
        let fid = folder.id;
        let n = name.to_owned();
        let item = blocking(&self.engine.store, move |s| s.item_by_resource(fid, &n))
            .await?
            .ok_or(BackendError::Internal("written item missing".into()))?;
        let format = if folder.folder_type == 9 || folder.folder_type == 14 {
            Format::VCard3
        } else {
            Format::ICalendar
        };
        let stored = self.render(&acct, &folder, &item, format).await.ok();
        Ok(PutOutcome {
            etag: dav_etag(&item.etag, format),
            created: res.created,
            stored_as_sent: stored.as_deref() == Some(body),
        })
    }

    async fn delete_resource(
        &self,
        user: &str,
        collection: &str,
        name: &str,
        if_match: Option<&str>,
    ) -> BackendResult<()> {
        let (acct, folder) = self.open(user, collection).await?;
        let pre = if_match
            .map(|e| Precondition::IfMatch(store_etag(e)))
            .unwrap_or_default();
        acct.write_item(&self.engine, folder.id, name, WriteOp::Delete, pre)
            .await?;
        Ok(())
    }

    async fn create_collection(
        &self,
        user: &str,
        id: &str,
        kind: CollectionKind,
        props: CollectionPatch,
    ) -> BackendResult<CollectionInfo> {
        let acct = self.ready(user).await?;
        if self.folder(&acct, id).await.is_ok() {
            return Err(BackendError::Conflict(format!("collection {id} exists")));
        }
        let folder_type = match kind {
            CollectionKind::Calendar => 13,
            CollectionKind::AddressBook => 14,
            CollectionKind::Tasks => 15,
        };
        let name = props.display_name.clone().unwrap_or_else(|| id.to_owned());
        let folder = acct.create_folder(&self.engine, id, &name, folder_type).await?;
        let folder = self
            .apply_local(
                &acct,
                &folder,
                CollectionPatch {
                    display_name: None,
                    ..props
                },
            )
            .await?;
        Ok(self.info(&acct, &folder))
    }

    async fn update_collection(&self, user: &str, id: &str, patch: CollectionPatch) -> BackendResult<CollectionInfo> {
        let (acct, folder) = self.open(user, id).await?;
        let mut folder = folder;
        if let Some(name) = patch.display_name.as_deref().filter(|n| *n != folder.display_name) {
            acct.rename_folder(&self.engine, &folder, name).await?;
            folder = self.folder(&acct, id).await?;
        }
        let folder = self
            .apply_local(
                &acct,
                &folder,
                CollectionPatch {
                    display_name: None,
                    ..patch
                },
            )
            .await?;
        Ok(self.info(&acct, &folder))
    }

    async fn delete_collection(&self, user: &str, id: &str) -> BackendResult<()> {
        let (acct, folder) = self.open(user, id).await?;
        acct.delete_folder(&self.engine, &folder).await?;
        Ok(())
    }
}

impl DavBackend {
    /// Stores the local-only collection properties.
    async fn apply_local(&self, acct: &Account, folder: &Folder, p: CollectionPatch) -> Result<Folder> {
        {
            let mut map = acct.local_props.lock().unwrap_or_else(|e| e.into_inner());
            let local = map.entry(folder.id).or_default();
            if let Some(tz) = p.timezone {
                local.timezone = tz;
            }
            for (k, v) in p.dead_props {
                match v {
                    Some(v) => local.dead.insert(k, v),
                    None => local.dead.remove(&k),
                };
            }
        }
        if p.color.is_none() && p.order.is_none() && p.description.is_none() {
            return Ok(folder.clone());
        }
        let patch = FolderPatch {
            color: p.color,
            description: p.description,
            sort_order: p.order,
            ..Default::default()
        };
        let fid = folder.id;
        blocking(&self.engine.store, move |s| s.update_folder(fid, &patch)).await
    }
}
