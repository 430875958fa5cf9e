//! Reading messages out of queues: `printMsg` (every queue of a topic, optionally between two
//! times) and `consumeMessage` (up to N messages, optionally from one queue and offset).
//! Both pull without committing offsets and report progress on stderr.

use anyhow::{bail, Result};
use ferromq_client::PullStatus;
use ferromq_client::ReceivedMessage;
use ferromq_model::names::TOOLS_CONSUMER_GROUP;
use ferromq_model::MessageQueue;
use serde_json::json;

use super::cli::{ConsumeMessageArgs, PrintMsgArgs};
use super::format::{message_ext, message_json, now_ms, parse_timestamp};
use super::out::{progress, Out};
use super::Ctx;

/// Messages per pull (the broker's cap for one request).
const BATCH: i64 = 32;

fn status_name(s: PullStatus) -> &'static str {
    match s {
        PullStatus::Found => "FOUND",
        PullStatus::NoNewMsg => "NO_NEW_MSG",
        PullStatus::NoMatchedMsg => "NO_MATCHED_MSG",
        PullStatus::OffsetIllegal => "OFFSET_ILLEGAL",
    }
}

/// `MSGID: … MessageExt […] BODY: …`, as `printMsg` and `consumeMessage` print a message.
pub fn message_line(m: &ReceivedMessage, print_body: bool) -> String {
    let body = if print_body {
        m.body_str().into_owned()
    } else {
        "NOT PRINT BODY".to_string()
    };
    format!("MSGID: {} {} BODY: {body}", m.msg_id(), message_ext(m))
}

/// The subscribable queues of `route_topic`, renamed to `topic` (lmq), sorted.
async fn queues(ctx: &Ctx, topic: &str, route_topic: &str) -> Result<Vec<MessageQueue>> {
    let route = ctx.admin.instance().update_route(route_topic).await?;
    let mut mqs: Vec<MessageQueue> = route
        .subscribe
        .iter()
        .map(|mq| MessageQueue::new(topic, mq.broker_name.clone(), mq.queue_id))
        .collect();
    mqs.sort();
    Ok(mqs)
}

/// What to read from one queue and how to print it.
#[derive(Clone, Copy)]
struct QueueRead<'a> {
    group: &'a str,
    mq: &'a MessageQueue,
    expression: &'a str,
    /// A line printed before each batch found (`consumeMessage`'s "Consume ok").
    on_found: Option<&'a str>,
    print_body: bool,
    /// Pull once more at the end of the range, so the broker reports the queue finished
    /// (`consumeMessage` prints that line when it reads a queue to its end).
    through_end: bool,
}

/// Pulls `[from, to)` of the queue, printing every message; returns the messages read.
async fn read_range(
    ctx: &Ctx,
    q: &QueueRead<'_>,
    range: (i64, i64),
    out: &mut Out,
) -> Vec<ReceivedMessage> {
    let QueueRead {
        group,
        mq,
        expression,
        on_found,
        print_body,
        through_end,
    } = *q;
    let (mut offset, to) = range;
    let mut read = Vec::new();
    while offset < to || (through_end && offset == to) {
        let want = (to - offset).clamp(1, BATCH) as i32;
        let r = match ctx
            .admin
            .pull_messages_as(group, mq, expression, offset, want)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                progress(format!(
                    "pulling {mq} at offset {offset} failed: {}",
                    ctx.describe(&e)
                ));
                break;
            }
        };
        offset = r.next_begin_offset;
        match r.status {
            PullStatus::Found => {
                if let Some(h) = on_found {
                    out.line(h);
                }
                for m in r.messages.into_iter().filter(|m| m.queue_offset < to) {
                    out.line(message_line(&m, print_body));
                    read.push(m);
                }
            }
            PullStatus::NoMatchedMsg => out.line(format!(
                "{mq} no matched msg. status={}, offset={offset}",
                status_name(r.status)
            )),
            PullStatus::NoNewMsg | PullStatus::OffsetIllegal => {
                out.line(format!(
                    "{mq} print msg finished. status={}, offset={offset}",
                    status_name(r.status)
                ));
                break;
            }
        }
    }
    read
}

/// `printMsg`: every message of every queue of a topic (between `-b` and `-e`).
pub async fn print_msg(ctx: &Ctx, args: PrintMsgArgs, out: &mut Out) -> Result<()> {
    let expression = args.sub_expression.clone().unwrap_or_else(|| "*".into());
    let print_body = args.print_body.unwrap_or(true);
    let begin = args
        .begin_timestamp
        .as_deref()
        .map(|t| parse_timestamp(t, false))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let end = args
        .end_timestamp
        .as_deref()
        .map(|t| parse_timestamp(t, false))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let route_topic = args.lmq_parent_topic.as_deref().unwrap_or(&args.topic);
    let mqs = queues(ctx, &args.topic, route_topic).await?;
    let instance = ctx.admin.instance();
    let mut docs = Vec::new();
    let mut total = 0usize;
    for (i, mq) in mqs.iter().enumerate() {
        let mut min = instance.min_offset(mq).await?;
        let mut max = instance.max_offset(mq).await?;
        if let Some(t) = begin {
            min = instance.search_offset(mq, t).await?;
        }
        if let Some(t) = end {
            max = instance.search_offset(mq, t).await?;
        }
        out.line(format!("minOffset={min}, maxOffset={max}, {mq}"));
        let q = QueueRead {
            group: TOOLS_CONSUMER_GROUP,
            mq,
            expression: &expression,
            on_found: None,
            print_body,
            through_end: false,
        };
        let read = read_range(ctx, &q, (min, max), out).await;
        out.line("--------------------------------------------------------");
        total += read.len();
        progress(format!(
            "printMsg: {mq}: {} message(s); {total} in {}/{} queue(s)",
            read.len(),
            i + 1,
            mqs.len()
        ));
        docs.push(json!({
            "brokerName": mq.broker_name, "queueId": mq.queue_id,
            "minOffset": min, "maxOffset": max,
            "messages": read.iter().map(message_json).collect::<Vec<_>>(),
        }));
    }
    out.set_json(json!({ "topic": args.topic, "queues": docs }));
    Ok(())
}

/// `consumeMessage`: up to `-c` (128) messages, from the start of each queue (or of one
/// queue with `-b`/`-i`, from `-o`), bounded by `-s`/`-e` times.
pub async fn consume_message(ctx: &Ctx, args: ConsumeMessageArgs, out: &mut Out) -> Result<()> {
    let count = args.message_number.unwrap_or(128);
    if count <= 0 {
        bail!("Please input a positive messageNumber!");
    }
    if args.queue_id.is_some() && args.broker_name.is_none() {
        bail!("Please set the brokerName before queueId!");
    }
    if args.offset.is_some() && args.queue_id.is_none() {
        bail!("Please set queueId before offset!");
    }
    let now = now_ms();
    let parse = |v: &Option<String>| {
        v.as_deref()
            .map(|t| parse_timestamp(t, false))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let begin = parse(&args.begin_timestamp)?;
    let end = parse(&args.end_timestamp)?;
    if begin.is_some_and(|b| b > now) {
        bail!("Please set the beginTimestamp before now!");
    }
    if end.is_some_and(|e| e > now) {
        bail!("Please set the endTimestamp before now!");
    }
    if let (Some(b), Some(e)) = (begin, end) {
        if b > e {
            bail!("Please make sure that the beginTimestamp is less than or equal to the endTimestamp");
        }
    }
    let group = args
        .consumer_group
        .as_deref()
        .unwrap_or(TOOLS_CONSUMER_GROUP);
    let instance = ctx.admin.instance();
    let mqs = match (&args.broker_name, args.queue_id) {
        (Some(b), Some(q)) => {
            instance.route(&args.topic).await?;
            vec![MessageQueue::new(args.topic.clone(), b.clone(), q)]
        }
        _ => queues(ctx, &args.topic, &args.topic).await?,
    };
    let mut left = count;
    let mut consumed = Vec::new();
    for mq in &mqs {
        if left == 0 {
            break;
        }
        let mut min = match begin {
            Some(t) => instance.search_offset(mq, t).await?,
            None => instance.min_offset(mq).await?,
        };
        let max = match end {
            Some(t) => instance.search_offset(mq, t).await?,
            None => instance.max_offset(mq).await?,
        };
        if let Some(o) = args.offset {
            if o > max {
                out.line(format!("{mq} no matched msg, offset={o}"));
                continue;
            }
            min = min.max(o);
        }
        let mut to = max;
        if max - min > left {
            out.line(format!(
                "The older {left} message of the {} queue will be provided",
                mq.queue_id
            ));
            to = min + left;
        }
        let q = QueueRead {
            group,
            mq,
            expression: "*",
            on_found: Some("Consume ok"),
            print_body: true,
            through_end: to == max,
        };
        let read = read_range(ctx, &q, (min, to), out).await;
        left -= read.len() as i64;
        progress(format!(
            "consumeMessage: {mq}: {} message(s); {} of at most {count}",
            read.len(),
            count - left
        ));
        consumed.extend(read);
    }
    out.set_json(json!({
        "topic": args.topic,
        "messages": consumed.iter().map(message_json).collect::<Vec<_>>(),
    }));
    Ok(())
}
