//! ACL 2.0 administration (3001–3010): users and their policies, as mqadmin's `createUser`,
//! `getAcl`, … send them. Changes are written to disk before the answer, off the async
//! threads. Refusals map to Java's codes here, once: NO_PERMISSION for a refused change,
//! INVALID_PARAMETER for a blank name, SYSTEM_ERROR otherwise.

use std::sync::Arc;

use ferromq_auth::AdminError;
use ferromq_model::{from_fastjson_slice, AclInfo, UserInfo};
use ferromq_protocol::headers::{
    AclRequestHeader, DeleteAclRequestHeader, ListAclsRequestHeader, ListUsersRequestHeader,
    UserRequestHeader,
};
use ferromq_protocol::{request_code as rc, signature, RemotingCommand};
use ferromq_remoting::{ok_json, Channel, RequestError, RequestResult};

use crate::context::BrokerContext;
use crate::processor::Later;

fn refusal(e: AdminError) -> RequestError {
    match e {
        AdminError::Denied(m) => RequestError::no_permission(m),
        AdminError::Invalid(m) => RequestError::invalid(m),
        AdminError::System(m) => RequestError::system(m),
    }
}

fn body<T: serde::de::DeserializeOwned>(req: &RemotingCommand) -> Result<Option<T>, RequestError> {
    if req.body.is_empty() {
        return Ok(None);
    }
    from_fastjson_slice(&req.body.to_bytes())
        .map(Some)
        .map_err(|e| RequestError::system(format!("the body does not decode: {e}")))
}

/// Answers `code`'s request from the user store; runs on a blocking thread because changes
/// are written (and fsynced) before the answer.
pub(crate) fn route(ctx: Arc<BrokerContext>, _: Channel, req: RemotingCommand) -> Later {
    Box::pin(async move {
        tokio::task::spawn_blocking(move || serve(&ctx, &req))
            .await
            .unwrap_or_else(|e| Err(RequestError::system(format!("auth admin failed: {e}"))))
    })
}

fn serve(ctx: &BrokerContext, req: &RemotingCommand) -> RequestResult {
    let store = ctx.access().store()?;
    let caller_is_super = store
        .snapshot()
        .is_super_caller(req.ext_fields.get(signature::ACCESS_KEY));
    let done = |r: Result<(), AdminError>| r.map(|()| RemotingCommand::success()).map_err(refusal);
    match req.code {
        rc::AUTH_CREATE_USER | rc::AUTH_UPDATE_USER => {
            let h: UserRequestHeader = req.decode_header()?;
            let info: UserInfo = body(req)?.unwrap_or_default();
            done(if req.code == rc::AUTH_CREATE_USER {
                store.create_user(h.username.as_deref(), info, caller_is_super)
            } else {
                store.update_user(h.username.as_deref(), info, caller_is_super)
            })
        }
        rc::AUTH_DELETE_USER => {
            let h: UserRequestHeader = req.decode_header()?;
            done(store.delete_user(h.username.as_deref(), caller_is_super))
        }
        rc::AUTH_GET_USER => {
            let h: UserRequestHeader = req.decode_header()?;
            let user = store.get_user(h.username.as_deref()).map_err(refusal)?;
            Ok(user.map_or_else(RemotingCommand::success, |u| ok_json(&u)))
        }
        rc::AUTH_LIST_USER => {
            let h: ListUsersRequestHeader = req.decode_header()?;
            let users = store.list_users(h.filter.as_deref());
            Ok(if users.is_empty() {
                RemotingCommand::success()
            } else {
                ok_json(&users)
            })
        }
        rc::AUTH_CREATE_ACL | rc::AUTH_UPDATE_ACL => {
            let h: AclRequestHeader = req.decode_header()?;
            let info: Option<AclInfo> = body(req)?;
            done(store.upsert_acl(h.subject.as_deref(), info))
        }
        rc::AUTH_DELETE_ACL => {
            let h: DeleteAclRequestHeader = req.decode_header()?;
            done(store.delete_acl(
                h.subject.as_deref(),
                h.policy_type.as_deref(),
                h.resource.as_deref(),
            ))
        }
        rc::AUTH_GET_ACL => {
            let h: AclRequestHeader = req.decode_header()?;
            let acl = store.get_acl(h.subject.as_deref()).map_err(refusal)?;
            Ok(acl.map_or_else(RemotingCommand::success, |a| ok_json(&a)))
        }
        rc::AUTH_LIST_ACL => {
            let h: ListAclsRequestHeader = req.decode_header()?;
            let acls = store.list_acls(h.subject_filter.as_deref(), h.resource_filter.as_deref());
            Ok(if acls.is_empty() {
                RemotingCommand::success()
            } else {
                ok_json(&acls)
            })
        }
        code => Err(RequestError::system(format!(
            "{code} is not an auth admin code"
        ))),
    }
}
