//! The tonic service: every RPC of `MessagingService` delegates to the module that owns it,
//! with the request's [`RequestContext`] read from the gRPC metadata first.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use tonic::{Request, Response, Status, Streaming};

use crate::auth::{self, Caller};
use crate::context::RequestContext;
use crate::pb;
use crate::pb::messaging_service_server::MessagingService;
use crate::proxy::Proxy;
use crate::{consumer, producer, session};

/// A boxed server stream of `T`.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The gRPC face of a [`Proxy`].
#[derive(Clone)]
pub struct Service {
    proxy: Arc<Proxy>,
}

impl Service {
    /// A service answering from `proxy`.
    pub fn new(proxy: Arc<Proxy>) -> Self {
        Service { proxy }
    }
}

type Reply<T> = Result<Response<T>, Status>;

impl Service {
    /// The request's context and caller (its signature checked), and the message.
    async fn split<T>(&self, request: Request<T>) -> Result<(RequestContext, Caller, T), Status> {
        let ctx = RequestContext::from_request(&request)?;
        let caller = self
            .proxy
            .auth()
            .authenticate(&ctx)
            .await
            .map_err(|e| Status::unauthenticated(e.0))?;
        Ok((ctx, caller, request.into_inner()))
    }
}

/// A response stream whose polls, like the call that made it, sign remoting requests as
/// its caller.
struct Scoped<T> {
    caller: Caller,
    inner: BoxStream<T>,
}

impl<T> Stream for Scoped<T> {
    type Item = Result<T, Status>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let caller = self.caller.clone();
        auth::sync_scoped(caller, || self.inner.as_mut().poll_next(cx))
    }
}

/// Makes a response stream as `caller`, and keeps it so.
fn scoped_stream<T: 'static>(caller: Caller, make: impl FnOnce() -> BoxStream<T>) -> BoxStream<T> {
    let inner = auth::sync_scoped(caller.clone(), make);
    Box::pin(Scoped { caller, inner })
}

#[tonic::async_trait]
impl MessagingService for Service {
    async fn query_route(
        &self,
        r: Request<pb::QueryRouteRequest>,
    ) -> Reply<pb::QueryRouteResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(caller, producer::route::query_route(&self.proxy, &ctx, req)).await,
        ))
    }

    async fn heartbeat(&self, r: Request<pb::HeartbeatRequest>) -> Reply<pb::HeartbeatResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(caller, session::heartbeat(&self.proxy, &ctx, req)).await,
        ))
    }

    async fn send_message(
        &self,
        r: Request<pb::SendMessageRequest>,
    ) -> Reply<pb::SendMessageResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(caller, producer::send::send_message(&self.proxy, &ctx, req)).await,
        ))
    }

    async fn query_assignment(
        &self,
        r: Request<pb::QueryAssignmentRequest>,
    ) -> Reply<pb::QueryAssignmentResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(
                caller,
                consumer::assignment::query_assignment(&self.proxy, &ctx, req),
            )
            .await,
        ))
    }

    type ReceiveMessageStream = BoxStream<pb::ReceiveMessageResponse>;

    async fn receive_message(
        &self,
        r: Request<pb::ReceiveMessageRequest>,
    ) -> Reply<Self::ReceiveMessageStream> {
        let (ctx, caller, req) = self.split(r).await?;
        let proxy = self.proxy.clone();
        Ok(Response::new(scoped_stream(caller, move || {
            consumer::receive::receive_message(proxy, ctx, req)
        })))
    }

    async fn ack_message(
        &self,
        r: Request<pb::AckMessageRequest>,
    ) -> Reply<pb::AckMessageResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(caller, consumer::ack::ack_message(&self.proxy, &ctx, req)).await,
        ))
    }

    async fn forward_message_to_dead_letter_queue(
        &self,
        r: Request<pb::ForwardMessageToDeadLetterQueueRequest>,
    ) -> Reply<pb::ForwardMessageToDeadLetterQueueResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(
                caller,
                consumer::ack::forward_to_dead_letter_queue(&self.proxy, &ctx, req),
            )
            .await,
        ))
    }

    type PullMessageStream = BoxStream<pb::PullMessageResponse>;

    async fn pull_message(
        &self,
        r: Request<pb::PullMessageRequest>,
    ) -> Reply<Self::PullMessageStream> {
        let (ctx, caller, req) = self.split(r).await?;
        let proxy = self.proxy.clone();
        Ok(Response::new(scoped_stream(caller, move || {
            consumer::pull::pull_message(proxy, ctx, req)
        })))
    }

    async fn update_offset(
        &self,
        r: Request<pb::UpdateOffsetRequest>,
    ) -> Reply<pb::UpdateOffsetResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(
                caller,
                consumer::offset::update_offset(&self.proxy, &ctx, req),
            )
            .await,
        ))
    }

    async fn get_offset(&self, r: Request<pb::GetOffsetRequest>) -> Reply<pb::GetOffsetResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(caller, consumer::offset::get_offset(&self.proxy, &ctx, req)).await,
        ))
    }

    async fn query_offset(
        &self,
        r: Request<pb::QueryOffsetRequest>,
    ) -> Reply<pb::QueryOffsetResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(
                caller,
                consumer::offset::query_offset(&self.proxy, &ctx, req),
            )
            .await,
        ))
    }

    async fn end_transaction(
        &self,
        r: Request<pb::EndTransactionRequest>,
    ) -> Reply<pb::EndTransactionResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(
                caller,
                producer::transaction::end_transaction(&self.proxy, &ctx, req),
            )
            .await,
        ))
    }

    type TelemetryStream = BoxStream<pb::TelemetryCommand>;

    async fn telemetry(
        &self,
        r: Request<Streaming<pb::TelemetryCommand>>,
    ) -> Reply<Self::TelemetryStream> {
        let (ctx, caller, inbound) = self.split(r).await?;
        let proxy = self.proxy.clone();
        Ok(Response::new(scoped_stream(caller, move || {
            session::telemetry::telemetry(proxy, ctx, inbound)
        })))
    }

    async fn notify_client_termination(
        &self,
        r: Request<pb::NotifyClientTerminationRequest>,
    ) -> Reply<pb::NotifyClientTerminationResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(
                caller,
                session::notify_client_termination(&self.proxy, &ctx, req),
            )
            .await,
        ))
    }

    async fn change_invisible_duration(
        &self,
        r: Request<pb::ChangeInvisibleDurationRequest>,
    ) -> Reply<pb::ChangeInvisibleDurationResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(
                caller,
                consumer::ack::change_invisible_duration(&self.proxy, &ctx, req),
            )
            .await,
        ))
    }

    async fn recall_message(
        &self,
        r: Request<pb::RecallMessageRequest>,
    ) -> Reply<pb::RecallMessageResponse> {
        let (ctx, caller, req) = self.split(r).await?;
        Ok(Response::new(
            auth::scoped(
                caller,
                producer::recall::recall_message(&self.proxy, &ctx, req),
            )
            .await,
        ))
    }

    async fn sync_lite_subscription(
        &self,
        _r: Request<pb::SyncLiteSubscriptionRequest>,
    ) -> Reply<pb::SyncLiteSubscriptionResponse> {
        // Lite topics (RIP-?) are newer than Apache RocketMQ 5.3.3, which answers the same.
        Ok(Response::new(pb::SyncLiteSubscriptionResponse {
            status: Some(crate::status::status(
                pb::Code::NotImplemented,
                "lite topics are not supported",
            )),
        }))
    }
}
