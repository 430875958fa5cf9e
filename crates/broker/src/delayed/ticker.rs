//! A background service that does a piece of blocking work every tick and persists its
//! progress periodically and at stop (the delay-level and timer services).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use crate::error::BrokerError;

/// What a ticking service does.
pub(crate) struct Ticker {
    /// Time between ticks.
    pub tick: Duration,
    /// Persist every this many ticks (and once at stop).
    pub persist_every: u64,
    /// The work of one tick (runs on the blocking pool).
    pub work: fn(&BrokerContext),
    /// Writes the service's progress.
    pub persist: fn(&BrokerContext) -> Result<(), BrokerError>,
    /// For logs.
    pub name: &'static str,
}

impl Ticker {
    /// Runs until `stop`, then persists one last time.
    pub(crate) async fn run(self, ctx: Arc<BrokerContext>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut n: u64 = 0;
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            let c = ctx.clone();
            let work = self.work;
            let rt = tokio::runtime::Handle::current();
            let _ = tokio::task::spawn_blocking(move || {
                let _g = rt.enter();
                work(&c)
            })
            .await;
            n += 1;
            if n % self.persist_every.max(1) == 0 {
                self.save(&ctx).await;
            }
        }
        self.save(&ctx).await;
    }

    async fn save(&self, ctx: &Arc<BrokerContext>) {
        let c = ctx.clone();
        let persist = self.persist;
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || persist(&c)).await {
            tracing::error!(service = self.name, error = %e, "persisting progress failed");
        }
    }
}
