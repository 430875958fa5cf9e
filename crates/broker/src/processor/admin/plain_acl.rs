//! ACL 1.0 administration (50–53), as RocketMQ ≤ 5.3.2 brokers serve mqadmin's
//! `updateAclConfig`, `deleteAclConfig`, `clusterAclConfigVersion` and
//! `updateGlobalWhiteAddr`: the YAML files are rewritten before the answer, off the async
//! threads. Java's failure codes: 209, 210, 211 (shared with the polling codes) and 1.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferromq_auth::split_comma_list;
use ferromq_protocol::headers::{
    CreateAccessConfigRequestHeader, DeleteAccessConfigRequestHeader,
    GetBrokerAclConfigResponseHeader, UpdateGlobalWhiteAddrsConfigRequestHeader,
};
use ferromq_protocol::time::now_ms;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::{Channel, RequestError, RequestResult};

use crate::context::BrokerContext;
use crate::processor::Later;

const NOT_ENABLED: &str = "The broker does not enable acl.";

/// Serves `req` on a blocking thread (the files are written before the answer).
pub(crate) fn route(ctx: Arc<BrokerContext>, _: Channel, req: RemotingCommand) -> Later {
    Box::pin(async move {
        tokio::task::spawn_blocking(move || serve(&ctx, &req))
            .await
            .unwrap_or_else(|e| Err(RequestError::system(format!("ACL admin failed: {e}"))))
    })
}

fn failure_code(code: i32) -> i32 {
    match code {
        rc::UPDATE_AND_CREATE_ACL_CONFIG => response_code::UPDATE_AND_CREATE_ACL_CONFIG_FAILED,
        rc::DELETE_ACL_CONFIG => response_code::DELETE_ACL_CONFIG_FAILED,
        rc::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG => {
            response_code::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED
        }
        _ => response_code::SYSTEM_ERROR,
    }
}

fn serve(ctx: &BrokerContext, req: &RemotingCommand) -> RequestResult {
    let fail = |remark: String| RequestError::new(failure_code(req.code), remark);
    let Some(gate) = ctx.access().plain() else {
        return Err(fail(NOT_ENABLED.into()));
    };
    match req.code {
        rc::UPDATE_AND_CREATE_ACL_CONFIG => {
            let h: CreateAccessConfigRequestHeader = req.decode_header()?;
            gate.update(|acl| acl.update_account(&h, now_ms()))
                .map_err(|e| fail(e.to_string()))?;
        }
        rc::DELETE_ACL_CONFIG => {
            let h: DeleteAccessConfigRequestHeader = req.decode_header()?;
            let ak = h.access_key.unwrap_or_default();
            gate.update(|acl| acl.delete_account(&ak, now_ms()))
                .map_err(|e| fail(e.to_string()))?;
        }
        rc::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG => {
            let h: UpdateGlobalWhiteAddrsConfigRequestHeader = req.decode_header()?;
            let addrs = split_comma_list(h.global_white_addrs.as_deref().unwrap_or(""));
            let file = h.acl_file_full_path.as_deref().filter(|f| !f.is_empty());
            gate.update(|acl| acl.update_global_white_addrs(&addrs, file, now_ms()))
                .map_err(|e| fail(e.to_string()))?;
        }
        rc::GET_BROKER_CLUSTER_ACL_INFO => return Ok(versions(ctx, gate)),
        code => {
            return Err(RequestError::system(format!(
                "{code} is not an ACL 1.0 code"
            )))
        }
    }
    Ok(RemotingCommand::success())
}

/// GET_BROKER_CLUSTER_ACL_INFO (52): the default file's version and every file's, which
/// `mqadmin clusterAclConfigVersion` prints. Java 5.x leaves `allAclFileVersion` out and its
/// own mqadmin then fails; 4.9's broker sends it, and so does this one.
fn versions(ctx: &BrokerContext, gate: &crate::access::PlainGate) -> RemotingCommand {
    let (default, all) = gate.snapshot().versions();
    let all: BTreeMap<String, _> = all;
    let id = ctx.identity();
    let header = GetBrokerAclConfigResponseHeader {
        version: serde_json::to_string(&default).ok(),
        all_acl_file_version: serde_json::to_string(&all).ok(),
        broker_name: Some(id.name().to_string()),
        broker_addr: Some(id.addr().to_string()),
        cluster_name: Some(id.cluster().to_string()),
    };
    RemotingCommand::success().with_header(&header)
}
