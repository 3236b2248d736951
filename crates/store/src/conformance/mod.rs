//! The behaviour every [`Store`] implementation must show, as plain functions taking `&dyn Store`.
//!
//! Each function builds its own data in a fresh, empty store and panics (via `assert!`) on the first
//! deviation, so it is meant to be called from tests. [`ALL`] lists them with their names; the
//! [`store_conformance_tests!`](crate::store_conformance_tests) macro turns the list into one
//! `#[test]` per function for a given store factory, so the PostgreSQL implementation reuses the
//! same suite:
//!
//! ```
//! mod sqlite_memory {
//!     use store::{SqliteConfig, SqliteStore, Store};
//!     store::store_conformance_tests!(|| {
//!         Box::new(SqliteStore::open_in_memory(SqliteConfig::default()).unwrap()) as Box<dyn Store>
//!     });
//! }
//! ```

mod changes;
mod folders;
mod items;
mod outbox;
mod partnerships;

use crate::api::Store;
use crate::model::{Folder, ItemChange, NewFolder, NewPartnership, Partnership, SyncPage, UpstreamItem};

/// A conformance check.
pub type Check = fn(&dyn Store);

/// Every conformance check with its name.
pub const ALL: &[(&str, Check)] = &[
    ("partnership_crud", partnerships::partnership_crud),
    ("lock_blocks_writes", partnerships::lock_blocks_writes),
    (
        "purge_removes_everything_and_locks",
        partnerships::purge_removes_everything_and_locks,
    ),
    ("folder_create_and_lookup", folders::folder_create_and_lookup),
    ("folder_update_keeps_identity", folders::folder_update_keeps_identity),
    (
        "folder_delete_invalidates_tokens",
        folders::folder_delete_invalidates_tokens,
    ),
    ("folder_sync_page", folders::folder_sync_page),
    ("folder_sync_full_listing", folders::folder_sync_full_listing),
    ("upsert_add_modify_unchanged", items::upsert_add_modify_unchanged),
    (
        "upsert_resource_name_collisions",
        items::upsert_resource_name_collisions,
    ),
    ("delete_by_server_id", items::delete_by_server_id),
    ("local_writes_and_preconditions", items::local_writes_and_preconditions),
    ("failed_page_applies_nothing", items::failed_page_applies_nothing),
    ("sync_key_compare_and_set", items::sync_key_compare_and_set),
    ("lookups", items::lookups),
    ("resync_keeps_names_and_etags", items::resync_keeps_names_and_etags),
    (
        "resync_adopts_changed_server_ids_by_uid",
        items::resync_adopts_changed_server_ids_by_uid,
    ),
    ("changes_since_basics", changes::changes_since_basics),
    (
        "changes_since_limit_and_continuation",
        changes::changes_since_limit_and_continuation,
    ),
    ("tombstone_horizon", changes::tombstone_horizon),
    ("initial_listing_after_prune", changes::initial_listing_after_prune),
    ("outbox_lifecycle", outbox::outbox_lifecycle),
    ("outbox_ack_in_page", outbox::outbox_ack_in_page),
];

/// Generates one `#[test]` per conformance check. `$factory` is a closure returning, on each call, a
/// fresh, empty store holder: anything that is `AsRef<dyn Store>` (a `Box<dyn Store>`, or a struct
/// that also owns a temporary directory).
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr) => {
        $crate::store_conformance_tests!(@each $factory;
            partnership_crud, lock_blocks_writes, purge_removes_everything_and_locks,
            folder_create_and_lookup, folder_update_keeps_identity, folder_delete_invalidates_tokens,
            folder_sync_page, folder_sync_full_listing, upsert_add_modify_unchanged,
            upsert_resource_name_collisions, delete_by_server_id, local_writes_and_preconditions,
            failed_page_applies_nothing, sync_key_compare_and_set, lookups, resync_keeps_names_and_etags,
            resync_adopts_changed_server_ids_by_uid, changes_since_basics, changes_since_limit_and_continuation,
            tombstone_horizon, initial_listing_after_prune, outbox_lifecycle, outbox_ack_in_page);
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let holder = ($factory)();
                let store: &dyn $crate::Store = ::core::convert::AsRef::<dyn $crate::Store>::as_ref(&holder);
                $crate::conformance::run(stringify!($name), store);
            }
        )*
    };
}

/// Runs the named check.
///
/// # Panics
/// If the check fails or no check has that name.
pub fn run(name: &str, store: &dyn Store) {
    let Some((_, check)) = ALL.iter().find(|(n, _)| *n == name) else {
        panic!("no conformance check named {name}");
    };
    check(store);
}

// ---- helpers shared by the checks ----

fn partnership(store: &dyn Store, user: &str) -> Partnership {
    store
        .create_partnership(&NewPartnership {
            user_name: user.into(),
            device_id: format!("DEV-{user}"),
            device_type: "easdav".into(),
            upstream_url: "https://upstream.invalid/Microsoft-Server-ActiveSync".into(),
        })
        .expect("create partnership")
}

fn new_folder(server_id: &str, name: &str) -> NewFolder {
    NewFolder {
        server_id: server_id.into(),
        parent_server_id: Some("0".into()),
        folder_type: 8,
        display_name: name.into(),
        collection_name: None,
    }
}

fn folder(store: &dyn Store, p: &Partnership, server_id: &str) -> Folder {
    store
        .create_folder(p.id, &new_folder(server_id, &format!("Folder {server_id}")))
        .expect("create folder")
}

fn upstream(server_id: &str, name: &str, payload: &str) -> ItemChange {
    ItemChange::Upsert(UpstreamItem {
        server_id: server_id.into(),
        resource_name: name.into(),
        payload: payload.as_bytes().to_vec(),
        residue: None,
        uid: Some(format!("uid-{name}")),
        rendered: None,
    })
}

fn page(changes: Vec<ItemChange>) -> SyncPage {
    SyncPage {
        changes,
        ..SyncPage::default()
    }
}

/// Adds `n` items named `item-<i>.ics` with server ids `<prefix>:<i>`.
fn fill(store: &dyn Store, f: &Folder, prefix: &str, n: usize) {
    let changes = (0..n)
        .map(|i| upstream(&format!("{prefix}:{i}"), &format!("item-{i}.ics"), &format!("p{i}")))
        .collect();
    store.apply_sync_page(f.id, &page(changes)).expect("fill folder");
}

fn ctag(store: &dyn Store, f: &Folder) -> i64 {
    store
        .folder(f.id)
        .expect("read folder")
        .expect("folder exists")
        .change_seq
}
