//! `CHECK_CLIENT_CONFIG` (46) body: a consumer asks whether the broker supports its
//! subscription (SQL92 needs `enablePropertyFilter`) before starting.

use serde::{Deserialize, Serialize};

use crate::lenient;
use crate::subscription::SubscriptionData;

/// `{"clientId":…,"group":…,"namespace":…?,"subscriptionData":{…}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckClientRequestBody {
    /// Client id.
    #[serde(deserialize_with = "lenient::string")]
    pub client_id: String,
    /// Consumer group.
    #[serde(deserialize_with = "lenient::string")]
    pub group: String,
    /// 5.x namespace, if the client uses one.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub namespace: Option<String>,
    /// The subscription to check.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub subscription_data: Option<SubscriptionData>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::ExpressionType;
    use crate::fastjson::from_fastjson;
    use crate::subscription::tests::arb_subscription;
    use proptest::prelude::*;

    #[test]
    fn reads_java_check() {
        let java = r#"{"clientId":"10.0.0.9@1","group":"cg","subscriptionData":{"classFilterMode":false,"codeSet":[],"expressionType":"SQL92","subString":"a > 1","subVersion":1,"tagsSet":[],"topic":"T"}}"#;
        let body: CheckClientRequestBody = from_fastjson(java).unwrap();
        assert_eq!(
            body.subscription_data.as_ref().map(|s| s.expression_type),
            Some(ExpressionType::Sql92)
        );
        assert_eq!(serde_json::to_string(&body).unwrap(), java);
    }

    proptest! {
        #[test]
        fn round_trip(sub in proptest::option::of(arb_subscription()), ns in proptest::option::of("[a-z]{1,6}"),
                      client in "[a-z0-9@.]{1,12}", group in "[a-zA-Z_]{1,10}") {
            let body = CheckClientRequestBody { client_id: client, group, namespace: ns, subscription_data: sub };
            prop_assert_eq!(from_fastjson::<CheckClientRequestBody>(&serde_json::to_string(&body).unwrap()).unwrap(), body);
        }
    }
}
