//! DELETE of members (with If-Match) and of collections (FolderDelete).

use http::StatusCode;

use crate::backend::Backend;
use crate::error::{Body, DavError, DavResult};
use crate::method::{load_collection, put::unquote};
use crate::paths::Target;
use crate::server::{empty, Ctx};

/// Handles DELETE.
pub async fn handle<B: Backend>(ctx: &Ctx<'_, B>, target: &Target) -> DavResult<http::Response<Body>> {
    match target {
        Target::Resource(home, _, id, name) => {
            load_collection(ctx, *home, id).await?;
            let if_match = match ctx.header("if-match").map(str::trim) {
                None | Some("*") => None,
                Some(v) => Some(unquote(v).ok_or(DavError::Status(StatusCode::PRECONDITION_FAILED))?),
            };
            ctx.backend
                .delete_resource(&ctx.user, id, name, if_match.as_deref())
                .await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Target::Collection(home, _, id) => {
            load_collection(ctx, *home, id).await?;
            ctx.backend.delete_collection(&ctx.user, id).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        _ => Err(DavError::Status(StatusCode::FORBIDDEN)),
    }
}
