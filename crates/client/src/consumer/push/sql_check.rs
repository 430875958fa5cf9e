//! CHECK_CLIENT_CONFIG at start: a push consumer with SQL92 subscriptions fails to start when
//! a broker of the topic cannot filter by SQL (Java `checkClientInBroker`).

use ferromq_model::{CheckClientRequestBody, ExpressionType};
use ferromq_protocol::{request_code, RemotingCommand};

use super::state::PushInner;
use crate::error::Result;

/// Asks every broker of each SQL-subscribed topic whether it accepts the subscription.
pub(super) async fn check_sql_subscriptions(inner: &PushInner) -> Result<()> {
    let core = &inner.core;
    let instance = core.instance();
    let subs: Vec<_> = core
        .subscriptions()
        .into_iter()
        .filter(|s| s.expression_type != ExpressionType::Tag)
        .collect();
    for sub in subs {
        let route = instance.route(&sub.topic).await?;
        for bd in &route.data.broker_datas {
            let Some(addr) = bd.select_broker_addr() else {
                continue;
            };
            let body = CheckClientRequestBody {
                client_id: instance.client_id().to_string(),
                group: core.group().to_string(),
                namespace: None,
                subscription_data: Some(sub.clone()),
            };
            let req = RemotingCommand::request(request_code::CHECK_CLIENT_CONFIG)
                .with_body(serde_json::to_vec(&body).unwrap_or_default());
            instance
                .invoke_ok(addr, req, inner.config.client.api_timeout)
                .await?;
        }
    }
    Ok(())
}
