//! Sends a few messages in each mode.
//!
//! ```sh
//! cargo run -p ferromq-client --example producer -- 127.0.0.1:9876 TopicTest
//! ```

use ferromq_client::{Message, Producer, ProducerConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let namesrv = args.next().unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.next().unwrap_or_else(|| "TopicTest".into());

    let producer = Producer::new(ProducerConfig::new("example_producer_group", &namesrv));
    producer.start().await?;

    // Sync: wait for the broker, retry on another broker if needed.
    for i in 0..3 {
        let msg = Message::new(&topic, format!("Hello RocketMQ {i}"))
            .with_tags("TagA")
            .with_keys([format!("order-{i}")]);
        let r = producer.send(msg).await?;
        println!(
            "sync   {} {} {} offset {}",
            r.status, r.msg_id, r.queue, r.queue_offset
        );
    }

    // Async: returns at once; await the handle (or use `send_with_callback`).
    let handle = producer.send_async(Message::new(&topic, "async hello"));
    let r = handle.await?;
    println!("async  {} {}", r.status, r.msg_id);

    // One-way: no answer, no retry.
    producer
        .send_oneway(Message::new(&topic, "fire and forget"))
        .await?;

    // Ordered: the same sharding key always goes to the same queue.
    for step in ["created", "paid", "shipped"] {
        let r = producer
            .send_orderly(Message::new(&topic, format!("order-42 {step}")), "order-42")
            .await?;
        println!("order  {step} -> {}", r.queue);
    }

    // Batch: one request, consecutive offsets in one queue.
    let batch = (0..4)
        .map(|i| Message::new(&topic, format!("batch {i}")))
        .collect();
    let r = producer.send_batch(batch).await?;
    println!(
        "batch  {} ids at {} from offset {}",
        r.msg_id.split(',').count(),
        r.queue,
        r.queue_offset
    );

    producer.shutdown().await;
    Ok(())
}
