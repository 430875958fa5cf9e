//! Client sessions: the registry of connected gRPC clients ([`Sessions`]), heartbeats,
//! termination notices and the telemetry stream (`telemetry`). What the brokers are told
//! about a client is built in `register`, the settings answer in `settings`.

pub mod register;
pub mod relay;
pub mod settings;
pub mod telemetry;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferromq_protocol::headers::UnregisterClientRequestHeader;
use ferromq_protocol::{request_code, RemotingCommand};
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::{ok, Refusal};
use crate::validate;

/// Where the proxy pushes commands to a client: its open Telemetry stream.
pub type TelemetrySender = mpsc::Sender<Result<pb::TelemetryCommand, tonic::Status>>;

/// One connected gRPC client.
struct Session {
    language: String,
    version: String,
    remote: Option<SocketAddr>,
    /// The client's settings as stored (consumer defaults merged in).
    stored: Option<pb::Settings>,
    /// The settings last answered to it (what it runs with).
    answered: Option<pb::Settings>,
    /// The open Telemetry stream, with the id of the call that opened it.
    telemetry: Option<(u64, TelemetrySender)>,
    last_seen: Instant,
}

/// What the rest of the proxy may know about a client.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub client_id: String,
    /// `x-mq-language` as sent.
    pub language: String,
    /// `x-mq-client-version` as sent.
    pub version: String,
    pub remote: Option<SocketAddr>,
    pub client_type: Option<pb::ClientType>,
}

/// The gRPC clients this proxy serves, bounded in number; sessions silent for the idle time
/// are dropped by [`Sessions::expire`].
pub struct Sessions {
    max: usize,
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// A registry holding at most `max` clients.
    pub fn new(max: usize) -> Self {
        Sessions {
            max,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The settings the client runs with (the proxy's answer to its own): the consumer side
    /// reads `subscription.fifo`, the receive batch size and the long-polling timeout here.
    pub fn settings(&self, client_id: &str) -> Option<pb::Settings> {
        let map = self.map.lock();
        let s = map.get(client_id)?;
        s.answered.clone().or_else(|| s.stored.clone())
    }

    /// The client's language, version, address and type.
    pub fn client(&self, client_id: &str) -> Option<ClientInfo> {
        let map = self.map.lock();
        map.get(client_id).map(|s| info(client_id, s))
    }

    /// How many clients have a session.
    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    /// Whether no client has a session.
    pub fn is_empty(&self) -> bool {
        self.map.lock().is_empty()
    }

    /// Notes that the client is alive, creating its session if there is room.
    pub fn touch(&self, ctx: &RequestContext) -> Result<(), Refusal> {
        self.with_session(ctx, |_| ())
    }

    fn with_session<T>(
        &self,
        ctx: &RequestContext,
        f: impl FnOnce(&mut Session) -> T,
    ) -> Result<T, Refusal> {
        let mut map = self.map.lock();
        if !map.contains_key(ctx.client_id()) && map.len() >= self.max {
            return Err(Refusal::new(
                pb::Code::TooManyRequests,
                format!("too many clients on this proxy (max {})", self.max),
            ));
        }
        let s = map
            .entry(ctx.client_id().to_owned())
            .or_insert_with(|| Session {
                language: ctx.language().to_owned(),
                version: ctx.client_version().to_owned(),
                remote: ctx.remote_addr(),
                stored: None,
                answered: None,
                telemetry: None,
                last_seen: Instant::now(),
            });
        s.last_seen = Instant::now();
        if !ctx.language().is_empty() {
            s.language = ctx.language().to_owned();
        }
        if !ctx.client_version().is_empty() {
            s.version = ctx.client_version().to_owned();
        }
        Ok(f(s))
    }

    /// Records the client's settings: `stored` as received, `answered` as answered.
    pub fn set_settings(
        &self,
        ctx: &RequestContext,
        stored: pb::Settings,
        answered: pb::Settings,
    ) -> Result<(), Refusal> {
        self.with_session(ctx, |s| {
            s.stored = Some(stored);
            s.answered = Some(answered);
        })
    }

    /// The settings as stored, before the proxy's answer was merged.
    pub fn stored_settings(&self, client_id: &str) -> Option<pb::Settings> {
        self.map.lock().get(client_id)?.stored.clone()
    }

    /// Attaches the Telemetry stream `call` of the client.
    pub fn attach(
        &self,
        ctx: &RequestContext,
        call: u64,
        tx: TelemetrySender,
    ) -> Result<(), Refusal> {
        self.with_session(ctx, |s| s.telemetry = Some((call, tx)))
    }

    /// Detaches the Telemetry stream `call`, unless a newer one replaced it.
    pub fn detach(&self, client_id: &str, call: u64) {
        if let Some(s) = self.map.lock().get_mut(client_id) {
            if s.telemetry.as_ref().is_some_and(|(c, _)| *c == call) {
                s.telemetry = None;
            }
        }
    }

    /// The client's open Telemetry stream.
    pub fn telemetry_of(&self, client_id: &str) -> Option<TelemetrySender> {
        let map = self.map.lock();
        let (_, tx) = map.get(client_id)?.telemetry.as_ref()?;
        (!tx.is_closed()).then(|| tx.clone())
    }

    /// Drops the client's session; returns its stored settings.
    pub fn remove(&self, client_id: &str) -> Option<pb::Settings> {
        self.map.lock().remove(client_id).and_then(|s| s.stored)
    }

    /// Telemetry streams of producers publishing to `topic` (Java's proxy names the producer
    /// group of a gRPC producer after the topic), freshest first.
    pub fn producers_of(&self, topic: &str) -> Vec<(String, TelemetrySender)> {
        let map = self.map.lock();
        let mut found: Vec<(Instant, String, TelemetrySender)> = map
            .iter()
            .filter(|(_, s)| publishes(s.stored.as_ref(), topic))
            .filter_map(|(id, s)| {
                let (_, tx) = s.telemetry.as_ref()?;
                (!tx.is_closed()).then(|| (s.last_seen, id.clone(), tx.clone()))
            })
            .collect();
        found.sort_by_key(|f| std::cmp::Reverse(f.0));
        found.into_iter().map(|(_, id, tx)| (id, tx)).collect()
    }

    /// Removes the sessions silent for `idle`; returns them with their stored settings.
    pub fn expire(&self, idle: Duration) -> Vec<(ClientInfo, Option<pb::Settings>)> {
        let mut map = self.map.lock();
        let gone: Vec<String> = map
            .iter()
            .filter(|(_, s)| s.last_seen.elapsed() >= idle)
            .map(|(id, _)| id.clone())
            .collect();
        gone.into_iter()
            .filter_map(|id| {
                let s = map.remove(&id)?;
                Some((info(&id, &s), s.stored))
            })
            .collect()
    }
}

fn info(client_id: &str, s: &Session) -> ClientInfo {
    ClientInfo {
        client_id: client_id.to_owned(),
        language: s.language.clone(),
        version: s.version.clone(),
        remote: s.remote,
        client_type: s
            .stored
            .as_ref()
            .and_then(|st| st.client_type)
            .and_then(|t| pb::ClientType::try_from(t).ok()),
    }
}

fn publishes(settings: Option<&pb::Settings>, topic: &str) -> bool {
    matches!(
        settings.and_then(|s| s.pub_sub.as_ref()),
        Some(pb::settings::PubSub::Publishing(p))
            if p.topics.iter().any(|t| validate::resource_name(t) == topic)
    )
}

/// Tells every broker about the client (HEART_BEAT), as its language and version.
pub(crate) async fn register(
    proxy: &Proxy,
    ctx: &RequestContext,
    settings: &pb::Settings,
) -> Result<(), Refusal> {
    let data = register::heartbeat_data(ctx.client_id(), settings)?;
    if data.producer_data_set.is_empty() && data.consumer_data_set.is_empty() {
        return Ok(());
    }
    let lang = register::language(ctx.language());
    let version = register::version_ordinal(ctx.client_version());
    proxy.backend().heartbeat(&data, lang, version).await;
    Ok(())
}

/// UNREGISTER_CLIENT for each group of the client, to every broker.
pub(crate) async fn unregister(proxy: &Proxy, client_id: &str, settings: &pb::Settings) {
    let (producers, consumer) = match register::heartbeat_data(client_id, settings) {
        Ok(d) => (d.producer_data_set, d.consumer_data_set.into_iter().next()),
        Err(_) => return,
    };
    let mut headers: Vec<UnregisterClientRequestHeader> = producers
        .into_iter()
        .map(|p| UnregisterClientRequestHeader {
            client_id: client_id.to_owned(),
            producer_group: Some(p.group_name),
            consumer_group: None,
        })
        .collect();
    if let Some(c) = consumer {
        headers.push(UnregisterClientRequestHeader {
            client_id: client_id.to_owned(),
            producer_group: None,
            consumer_group: Some(c.group_name),
        });
    }
    for h in headers {
        let req = RemotingCommand::request_with(request_code::UNREGISTER_CLIENT, &h);
        proxy.backend().unregister(req).await;
    }
}

fn unknown_client() -> Refusal {
    Refusal::new(
        pb::Code::UnrecognizedClientType,
        "cannot find client settings for this client",
    )
}

/// Answers Heartbeat: the client's groups are registered with every broker again.
pub async fn heartbeat(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::HeartbeatRequest,
) -> pb::HeartbeatResponse {
    let status = match heartbeat_inner(proxy, ctx, req).await {
        Ok(()) => ok(),
        Err(r) => r.status(),
    };
    pb::HeartbeatResponse {
        status: Some(status),
    }
}

async fn heartbeat_inner(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::HeartbeatRequest,
) -> Result<(), Refusal> {
    let Some(settings) = proxy.sessions().stored_settings(ctx.client_id()) else {
        return Err(unknown_client());
    };
    proxy.sessions().touch(ctx)?;
    match settings
        .client_type
        .and_then(|t| pb::ClientType::try_from(t).ok())
    {
        Some(pb::ClientType::Producer) => {}
        Some(pb::ClientType::PushConsumer | pb::ClientType::SimpleConsumer) => {
            validate::consumer_group(req.group.as_ref())?;
        }
        other => {
            return Err(Refusal::new(
                pb::Code::UnrecognizedClientType,
                format!("{other:?}"),
            ))
        }
    }
    register(proxy, ctx, &settings).await
}

/// Answers NotifyClientTermination: the client's groups leave every broker and its session
/// is dropped.
pub async fn notify_client_termination(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::NotifyClientTerminationRequest,
) -> pb::NotifyClientTerminationResponse {
    let status = match proxy.sessions().remove(ctx.client_id()) {
        None => unknown_client().status(),
        Some(settings) => {
            let consumer = matches!(
                settings.pub_sub,
                Some(pb::settings::PubSub::Subscription(_))
            );
            match consumer.then(|| validate::consumer_group(req.group.as_ref())) {
                Some(Err(r)) => r.status(),
                _ => {
                    unregister(proxy, ctx.client_id(), &settings).await;
                    ok()
                }
            }
        }
    };
    pb::NotifyClientTerminationResponse {
        status: Some(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn producer(topic: &str) -> pb::Settings {
        pb::Settings {
            client_type: Some(pb::ClientType::Producer as i32),
            pub_sub: Some(pb::settings::PubSub::Publishing(pb::Publishing {
                topics: vec![pb::Resource {
                    resource_namespace: String::new(),
                    name: topic.into(),
                }],
                ..Default::default()
            })),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn bounded_registry_with_producers_by_topic() {
        let s = Sessions::new(2);
        let a = RequestContext::for_client("a");
        let b = RequestContext::for_client("b");
        s.set_settings(&a, producer("T"), producer("T")).unwrap();
        s.touch(&b).unwrap();
        let err = s.touch(&RequestContext::for_client("c")).unwrap_err();
        assert_eq!(err.code, pb::Code::TooManyRequests);
        assert!(s.producers_of("T").is_empty(), "no telemetry stream yet");
        let (tx, _rx) = mpsc::channel(1);
        s.attach(&a, 7, tx).unwrap();
        assert_eq!(s.producers_of("T")[0].0, "a");
        assert!(s.producers_of("U").is_empty());
        s.detach("a", 6);
        assert_eq!(
            s.producers_of("T").len(),
            1,
            "an older call does not detach"
        );
        s.detach("a", 7);
        assert!(s.producers_of("T").is_empty());
        assert!(s.settings("a").is_some());
        assert_eq!(
            s.client("a").unwrap().client_type,
            Some(pb::ClientType::Producer)
        );
        assert!(s.expire(Duration::from_secs(3600)).is_empty());
        assert_eq!(s.expire(Duration::ZERO).len(), 2);
        assert!(s.is_empty());
    }
}
