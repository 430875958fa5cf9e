//! What the brokers are told about a gRPC client (Java's `ClientActivity.registerProducer` /
//! `registerConsumer`): a HEART_BEAT body with its producer groups (Java's proxy uses each
//! published topic's name as the producer group) or its consumer group and subscriptions,
//! and the language and version the remoting command carries.

use ferromq_model::{
    ConsumeFromWhere, ConsumeType, ConsumerData, ExpressionType, HeartbeatData, MessageModel,
    ProducerData, SubscriptionData,
};
use ferromq_protocol::{version, LanguageCode};

use crate::pb;
use crate::status::Refusal;
use crate::validate;

/// The remoting language of a gRPC client's `x-mq-language` (the Go client says `GOLANG`).
pub fn language(name: &str) -> LanguageCode {
    match name.trim().to_ascii_uppercase().as_str() {
        "GOLANG" => LanguageCode::GO,
        "NODEJS" => LanguageCode::NODE_JS,
        "CSHARP" => LanguageCode::DOTNET,
        other => LanguageCode::from_name(other),
    }
}

/// The `MQVersion` ordinal of a client version: Java's enum names (`V5_2_0`) and dotted
/// versions (`5.2.0`, what the official 5.x clients send) are both understood; anything else
/// is the current version, as Java's proxy falls back.
pub fn version_ordinal(v: &str) -> i32 {
    let v = v.trim();
    let body = v.strip_prefix(['V', 'v']).unwrap_or(v);
    let parts: Vec<&str> = body.split(['.', '_']).collect();
    let nums: Option<Vec<i32>> = parts.iter().take(3).map(|p| p.parse().ok()).collect();
    match nums.as_deref() {
        // 5.y.z: V5_0_0 is 413 and each release follows its snapshot (two ordinals apart).
        Some([5, y, z]) if (0..10).contains(y) && (0..10).contains(z) => {
            version::V5_0_0 + 2 * (10 * y + z)
        }
        _ => version::CURRENT,
    }
}

/// The client's producer groups: one per published topic.
pub fn producer_data(settings: &pb::Settings) -> Vec<ProducerData> {
    match &settings.pub_sub {
        Some(pb::settings::PubSub::Publishing(p)) => p
            .topics
            .iter()
            .map(|t| ProducerData {
                group_name: validate::resource_name(t),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The client's consumer group with its subscriptions: push consumers consume passively,
/// simple consumers actively, both clustering from the last offset.
pub fn consumer_data(settings: &pb::Settings) -> Result<Option<ConsumerData>, Refusal> {
    let Some(pb::settings::PubSub::Subscription(sub)) = &settings.pub_sub else {
        return Ok(None);
    };
    let group = validate::consumer_group(sub.group.as_ref())?;
    let consume_type = match settings
        .client_type
        .and_then(|t| pb::ClientType::try_from(t).ok())
    {
        Some(pb::ClientType::PushConsumer) => ConsumeType::ConsumePassively,
        Some(pb::ClientType::SimpleConsumer) => ConsumeType::ConsumeActively,
        other => {
            return Err(Refusal::new(
                pb::Code::UnrecognizedClientType,
                format!("{other:?}"),
            ))
        }
    };
    let mut subscription_data_set = Vec::with_capacity(sub.subscriptions.len());
    for entry in &sub.subscriptions {
        let topic = validate::topic(entry.topic.as_ref())?;
        subscription_data_set.push(subscription(topic, entry.expression.as_ref())?);
    }
    Ok(Some(ConsumerData {
        consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
        consume_type,
        group_name: group,
        message_model: MessageModel::Clustering,
        subscription_data_set,
        unit_mode: false,
    }))
}

/// One subscription entry as `FilterAPI.build`; an unusable expression is refused with
/// ILLEGAL_FILTER_EXPRESSION.
pub fn subscription(
    topic: String,
    expr: Option<&pb::FilterExpression>,
) -> Result<SubscriptionData, Refusal> {
    let (kind, text) = match expr {
        Some(e) => (
            pb::FilterType::try_from(e.r#type).unwrap_or(pb::FilterType::Tag),
            e.expression.as_str(),
        ),
        None => (pb::FilterType::Tag, "*"),
    };
    let kind = match kind {
        pb::FilterType::Sql => ExpressionType::Sql92,
        _ => ExpressionType::Tag,
    };
    if kind == ExpressionType::Sql92 && text.trim().is_empty() {
        return Err(Refusal::new(
            pb::Code::IllegalFilterExpression,
            "expression format is not correct",
        ));
    }
    Ok(SubscriptionData::build(topic, text, kind))
}

/// The HEART_BEAT body for a client.
pub fn heartbeat_data(client_id: &str, settings: &pb::Settings) -> Result<HeartbeatData, Refusal> {
    Ok(HeartbeatData {
        client_id: client_id.to_owned(),
        consumer_data_set: consumer_data(settings)?.into_iter().collect(),
        heartbeat_fingerprint: 0,
        producer_data_set: producer_data(settings),
        without_sub: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(name: &str) -> Option<pb::Resource> {
        Some(pb::Resource {
            resource_namespace: String::new(),
            name: name.into(),
        })
    }

    #[test]
    fn languages_and_versions() {
        assert_eq!(language("GOLANG"), LanguageCode::GO);
        assert_eq!(language("JAVA"), LanguageCode::JAVA);
        assert_eq!(language("whatever"), LanguageCode::OTHER);
        assert_eq!(version_ordinal("5.3.3"), version::V5_3_3);
        assert_eq!(version_ordinal("V5_3_1"), version::V5_3_1);
        assert_eq!(version_ordinal("5.0.0"), version::V5_0_0);
        assert_eq!(version_ordinal("garbage"), version::CURRENT);
    }

    #[test]
    fn consumer_heartbeat() {
        let s = pb::Settings {
            client_type: Some(pb::ClientType::PushConsumer as i32),
            pub_sub: Some(pb::settings::PubSub::Subscription(pb::Subscription {
                group: res("g"),
                subscriptions: vec![pb::SubscriptionEntry {
                    topic: res("T"),
                    expression: Some(pb::FilterExpression {
                        r#type: pb::FilterType::Tag as i32,
                        expression: "a || b".into(),
                    }),
                }],
                ..Default::default()
            })),
            ..Default::default()
        };
        let hb = heartbeat_data("cid", &s).unwrap();
        let c = &hb.consumer_data_set[0];
        assert_eq!(c.group_name, "g");
        assert_eq!(c.consume_type, ConsumeType::ConsumePassively);
        assert_eq!(c.message_model, MessageModel::Clustering);
        assert_eq!(c.subscription_data_set[0].tags_set.len(), 2);
        assert!(hb.producer_data_set.is_empty());
    }

    #[test]
    fn producer_groups_are_topic_names() {
        let s = pb::Settings {
            client_type: Some(pb::ClientType::Producer as i32),
            pub_sub: Some(pb::settings::PubSub::Publishing(pb::Publishing {
                topics: vec![res("A").unwrap(), res("B").unwrap()],
                ..Default::default()
            })),
            ..Default::default()
        };
        let hb = heartbeat_data("cid", &s).unwrap();
        let groups: Vec<_> = hb.producer_data_set.iter().map(|p| &p.group_name).collect();
        assert_eq!(groups, ["A", "B"]);
    }
}
