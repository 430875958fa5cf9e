//! Consumes a topic with a concurrent listener until Ctrl-C.
//!
//! ```sh
//! cargo run -p ferromq-client --example push_consumer -- 127.0.0.1:9876 TopicTest
//! ```

use ferromq_client::{
    ConcurrentlyContext, ConcurrentlyStatus, ConsumeFromWhere, PushConsumer, PushConsumerConfig,
    ReceivedMessage,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());

    let mut config = PushConsumerConfig::new("example_consumer_group", &namesrv);
    config.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let consumer = PushConsumer::new(config);
    consumer.subscribe(&topic, "*")?;
    consumer.register_concurrent_listener(
        |msgs: &[ReceivedMessage], ctx: &mut ConcurrentlyContext| {
            for m in msgs {
                println!(
                    "{} {} q{} offset {} retry {} tags {:?}: {}",
                    ctx.queue.broker_name,
                    m.msg_id(),
                    m.queue_id,
                    m.queue_offset,
                    m.reconsume_times,
                    m.tags(),
                    m.body_str()
                );
            }
            // Returning ReconsumeLater redelivers the message later through %RETRY%group.
            ConcurrentlyStatus::ConsumeSuccess
        },
    );
    consumer.start().await?;
    println!(
        "consuming {topic} as {} — Ctrl-C to stop",
        consumer.client_id()
    );
    tokio::signal::ctrl_c().await?;
    consumer.shutdown().await;
    Ok(())
}
