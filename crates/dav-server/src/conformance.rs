//! A behavioural check of a [`Backend`] implementation, for the engine's tests.
//!
//! [`check_backend`] exercises authentication, listing, conditional writes, ETags, UID
//! conflicts, the change feed (tombstones, limits, continuation, invalid tokens) and deletion
//! on one calendar collection of a user, using resources named `conformance-*.ics` that it
//! removes again. It returns the first violated expectation as an error message.
//!
//! # Example
//!
//! ```
//! use dav_server::{conformance::check_backend, memory::MemoryBackend};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let b = MemoryBackend::new();
//! b.add_user("u", "p");
//! check_backend(&b, "u", "p").await.unwrap();
//! # });
//! ```

use crate::backend::{Backend, BackendError, CollectionKind, Format, Home, WriteCondition};

fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easdav//conformance//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
DTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nSUMMARY:{summary}\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(format!($($msg)*));
        }
    };
}

/// Runs the checks as `user`/`password`.
///
/// # Errors
/// A description of the first expectation the backend violated.
pub async fn check_backend<B: Backend>(b: &B, user: &str, password: &str) -> Result<(), String> {
    let e = |ctx: &str, err: BackendError| format!("{ctx}: unexpected {err:?}");
    let canon = b.authenticate(user, password).await.map_err(|x| e("authenticate", x))?;
    let Some(u) = canon else {
        return Err("authenticate refused the right password".into());
    };
    let wrong = b
        .authenticate(user, &format!("{password}-wrong"))
        .await
        .map_err(|x| e("authenticate", x))?;
    ensure!(wrong.is_none(), "authenticate accepted a wrong password");
    b.principal(&u).await.map_err(|x| e("principal", x))?;
    let cals = b
        .list_collections(&u, Home::Calendars)
        .await
        .map_err(|x| e("list_collections", x))?;
    ensure!(
        cals.iter().all(|c| c.kind.is_calendar()),
        "address book listed in the calendar home"
    );
    let books = b
        .list_collections(&u, Home::AddressBooks)
        .await
        .map_err(|x| e("list_collections", x))?;
    ensure!(
        books.iter().all(|c| c.kind == CollectionKind::AddressBook),
        "calendar listed in the address-book home"
    );
    let Some(cal) = cals.iter().find(|c| c.kind == CollectionKind::Calendar) else {
        return Err("no event calendar in the calendar home".into());
    };
    let id = cal.id.as_str();
    ensure!(
        b.collection(&u, id).await.is_ok(),
        "collection({id}) fails although listed"
    );
    ensure!(
        matches!(
            b.collection(&u, "conformance-missing").await,
            Err(BackendError::NotFound)
        ),
        "unknown collection is not NotFound"
    );

    let start = b
        .changes(&u, id, None, None, Format::ICalendar)
        .await
        .map_err(|x| e("initial changes", x))?;
    ensure!(!start.truncated, "unlimited initial changes truncated");
    let t0 = start.seq;
    let (n1, n2, n3) = ("conformance-1.ics", "conformance-2.ics", "conformance-3.ics");
    let body1 = event("conformance-uid-1", "one");
    let put = b
        .put_resource(&u, id, n1, &body1, WriteCondition::MustNotExist)
        .await
        .map_err(|x| e("put new", x))?;
    ensure!(put.created, "new resource not reported as created");
    ensure!(
        !put.etag.is_empty() && !put.etag.contains('"'),
        "etag must be non-empty and unquoted: {:?}",
        put.etag
    );
    let again = b.put_resource(&u, id, n1, &body1, WriteCondition::MustNotExist).await;
    ensure!(
        matches!(again, Err(BackendError::PreconditionFailed)),
        "If-None-Match on an existing resource: {again:?}"
    );
    let got = b
        .get_resources(&u, id, Some(&[n1.to_owned()]), Format::ICalendar)
        .await
        .map_err(|x| e("get", x))?;
    let Some(r1) = got.first() else {
        return Err("stored resource not returned".into());
    };
    ensure!(
        r1.meta.size == r1.body.len() as u64,
        "size differs from the body length"
    );
    if put.stored_as_sent {
        ensure!(r1.body == body1, "stored_as_sent but the body differs");
        ensure!(r1.meta.etag == put.etag, "PUT and GET etags differ");
    }
    let again = b
        .get_resources(&u, id, Some(&[n1.to_owned()]), Format::ICalendar)
        .await
        .map_err(|x| e("get", x))?;
    ensure!(
        again.first().map(|r| &r.meta.etag) == Some(&r1.meta.etag),
        "etag not deterministic"
    );
    let listed = b
        .list_resources(&u, id, Format::ICalendar)
        .await
        .map_err(|x| e("list_resources", x))?;
    ensure!(
        listed.iter().any(|m| m.name == n1 && m.etag == r1.meta.etag),
        "listed etag differs from GET etag"
    );
    let stale = b
        .put_resource(
            &u,
            id,
            n1,
            &event("conformance-uid-1", "x"),
            WriteCondition::IfMatch("no-such-etag".into()),
        )
        .await;
    ensure!(
        matches!(stale, Err(BackendError::PreconditionFailed)),
        "If-Match with a wrong etag: {stale:?}"
    );
    let upd = b
        .put_resource(
            &u,
            id,
            n1,
            &event("conformance-uid-1", "one, changed"),
            WriteCondition::IfMatch(r1.meta.etag.clone()),
        )
        .await
        .map_err(|x| e("conditional update", x))?;
    ensure!(!upd.created, "update reported as created");
    let dup = b
        .put_resource(
            &u,
            id,
            n2,
            &event("conformance-uid-1", "dup"),
            WriteCondition::MustNotExist,
        )
        .await;
    ensure!(
        matches!(&dup, Err(BackendError::UidConflict { name }) if name == n1),
        "duplicate UID: {dup:?}"
    );
    for (n, uid) in [(n2, "conformance-uid-2"), (n3, "conformance-uid-3")] {
        b.put_resource(&u, id, n, &event(uid, uid), WriteCondition::MustNotExist)
            .await
            .map_err(|x| e("put", x))?;
    }
    let stale = b.delete_resource(&u, id, n3, Some("no-such-etag")).await;
    ensure!(
        matches!(stale, Err(BackendError::PreconditionFailed)),
        "DELETE with a wrong If-Match: {stale:?}"
    );
    b.delete_resource(&u, id, n3, None).await.map_err(|x| e("delete", x))?;
    let gone = b.delete_resource(&u, id, n3, None).await;
    ensure!(matches!(gone, Err(BackendError::NotFound)), "deleting twice: {gone:?}");

    let all = b
        .changes(&u, id, Some(t0), None, Format::ICalendar)
        .await
        .map_err(|x| e("changes", x))?;
    ensure!(all.seq > t0, "sequence did not grow");
    ensure!(
        all.changed.iter().any(|m| m.name == n1) && all.changed.iter().any(|m| m.name == n2),
        "changed members missing"
    );
    ensure!(
        all.removed.iter().any(|n| n == n3) || !all.changed.iter().any(|m| m.name == n3),
        "deleted member listed as changed"
    );
    // Page through with limit 1: every change exactly once, in order, nothing lost.
    let mut seen = Vec::new();
    let mut token = t0;
    for _ in 0..50 {
        let page = b
            .changes(&u, id, Some(token), Some(1), Format::ICalendar)
            .await
            .map_err(|x| e("paged changes", x))?;
        ensure!(page.changed.len() + page.removed.len() <= 1, "limit 1 returned more");
        seen.extend(page.changed.iter().map(|m| m.name.clone()));
        seen.extend(page.removed.iter().cloned());
        ensure!(page.seq >= token, "continuation token went backwards");
        token = page.seq;
        if !page.truncated {
            break;
        }
    }
    for n in [n1, n2, n3] {
        ensure!(seen.iter().any(|s| s == n), "paging lost {n}: saw {seen:?}");
    }
    let none = b
        .changes(&u, id, Some(all.seq), None, Format::ICalendar)
        .await
        .map_err(|x| e("changes", x))?;
    ensure!(
        none.changed.is_empty() && none.removed.is_empty(),
        "changes since the newest token not empty"
    );
    let future = b
        .changes(&u, id, Some(all.seq + 1_000_000), None, Format::ICalendar)
        .await;
    ensure!(
        matches!(future, Err(BackendError::InvalidSyncToken)),
        "token from the future: {future:?}"
    );
    for n in [n1, n2] {
        b.delete_resource(&u, id, n, None).await.map_err(|x| e("cleanup", x))?;
    }
    Ok(())
}
