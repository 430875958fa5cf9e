//! What a connection does with the requests it receives.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ferromq_protocol::{request_code, response_code, RemotingCommand};

use crate::channel::Channel;

/// A boxed response future: `None` means "no response" (for example a one-way request that
/// was handled, or a pull that was parked and will be answered through the channel later).
pub type ResponseFuture = Pin<Box<dyn Future<Output = Option<RemotingCommand>> + Send + 'static>>;

/// Handles requests arriving on channels, and hears about channels opening and closing.
pub trait RequestHandler: Send + Sync + 'static {
    /// Processes one request. The transport fills in the response's opaque, response flag and
    /// serialization type, and drops it for one-way requests.
    fn handle(&self, channel: Channel, request: RemotingCommand) -> ResponseFuture;

    /// A channel was accepted or connected.
    fn on_channel_open(&self, _channel: &Channel) {}

    /// A channel closed (peer gone, idle, error or shutdown). Called once per channel.
    fn on_channel_close(&self, _channel: &Channel) {}
}

/// The response Java gives to a request code nobody serves.
pub fn not_supported(code: i32) -> RemotingCommand {
    RemotingCommand::error(
        response_code::REQUEST_CODE_NOT_SUPPORTED,
        format!(" request type {code} not supported"),
    )
}

/// One processor for a set of request codes.
pub trait Processor: Send + Sync + 'static {
    /// Processes a request routed to this processor.
    fn process(&self, channel: Channel, request: RemotingCommand) -> ResponseFuture;
}

impl<F, Fut> Processor for F
where
    F: Fn(Channel, RemotingCommand) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<RemotingCommand>> + Send + 'static,
{
    fn process(&self, channel: Channel, request: RemotingCommand) -> ResponseFuture {
        Box::pin(self(channel, request))
    }
}

/// Routes requests to processors by code; unknown codes get REQUEST_CODE_NOT_SUPPORTED.
#[derive(Default, Clone)]
pub struct Dispatcher {
    routes: HashMap<i32, Arc<dyn Processor>>,
    fallback: Option<Arc<dyn Processor>>,
    lifecycle: Option<Arc<dyn ChannelLifecycle>>,
}

/// Observes channel open/close for a [`Dispatcher`].
pub trait ChannelLifecycle: Send + Sync + 'static {
    fn opened(&self, _channel: &Channel) {}
    fn closed(&self, _channel: &Channel) {}
}

impl Dispatcher {
    /// An empty dispatcher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `codes` to `processor`.
    pub fn route(mut self, codes: &[i32], processor: Arc<dyn Processor>) -> Self {
        for &c in codes {
            self.routes.insert(c, processor.clone());
        }
        self
    }

    /// Routes every code without its own route to `processor` (instead of NOT_SUPPORTED).
    pub fn fallback(mut self, processor: Arc<dyn Processor>) -> Self {
        self.fallback = Some(processor);
        self
    }

    /// Sets the channel lifecycle observer.
    pub fn lifecycle(mut self, l: Arc<dyn ChannelLifecycle>) -> Self {
        self.lifecycle = Some(l);
        self
    }

    /// Whether `code` has a route.
    pub fn serves(&self, code: i32) -> bool {
        self.routes.contains_key(&code)
    }
}

impl RequestHandler for Dispatcher {
    fn handle(&self, channel: Channel, request: RemotingCommand) -> ResponseFuture {
        match self.routes.get(&request.code).or(self.fallback.as_ref()) {
            Some(p) => p.process(channel, request),
            None => {
                tracing::debug!(
                    code = request.code,
                    name = request_code::name(request.code).unwrap_or("UNKNOWN"),
                    remote = %channel.remote_addr(),
                    "request code not supported"
                );
                let code = request.code;
                Box::pin(async move { Some(not_supported(code)) })
            }
        }
    }

    fn on_channel_open(&self, channel: &Channel) {
        if let Some(l) = &self.lifecycle {
            l.opened(channel);
        }
    }

    fn on_channel_close(&self, channel: &Channel) {
        if let Some(l) = &self.lifecycle {
            l.closed(channel);
        }
    }
}
