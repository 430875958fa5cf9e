//! Where a command's output goes: mqadmin's text on stdout as it is produced, or — with
//! `--json` — one JSON document printed when the command ends. Progress goes to stderr either
//! way. Also the one-line rendering of client errors (`CODE: 17  DESC: …`).

use std::io::Write;

use ferromq_client::ClientError;

/// A command's output.
#[derive(Debug)]
pub struct Out {
    json: bool,
    doc: serde_json::Value,
}

impl Out {
    /// Text output, or JSON when `json`.
    pub fn new(json: bool) -> Self {
        Out {
            json,
            doc: serde_json::Value::Null,
        }
    }

    /// Prints `text` as is (text mode only).
    pub fn text(&mut self, text: impl AsRef<str>) {
        if !self.json {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_ref().as_bytes());
            let _ = stdout.flush();
        }
    }

    /// Prints one line (text mode only).
    pub fn line(&mut self, line: impl AsRef<str>) {
        if !self.json {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(line.as_ref().as_bytes());
            let _ = stdout.write_all(b"\n");
        }
    }

    /// Sets the JSON document (JSON mode prints it at the end).
    pub fn set_json(&mut self, doc: serde_json::Value) {
        self.doc = doc;
    }

    /// Ends the command: prints the JSON document in JSON mode.
    pub fn finish(self) {
        if self.json {
            let text = serde_json::to_string_pretty(&self.doc).unwrap_or_else(|_| "null".into());
            println!("{text}");
        }
    }
}

/// A progress note on stderr (kept off stdout so tables and JSON stay clean).
pub fn progress(msg: impl AsRef<str>) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", msg.as_ref());
}

/// A client error on one line, as mqadmin's exceptions read: `CODE: 17  DESC: … BROKER: addr`
/// for an error answer, the chain of causes joined by `: ` otherwise.
pub fn describe(err: &ClientError, namesrv_addrs: &[String]) -> String {
    match err {
        ClientError::Broker { code, remark, addr } => {
            // Servers append a FAQ link on a second line; the first says what went wrong.
            let remark = remark.lines().next().unwrap_or_default();
            let mut s = format!("CODE: {code}  DESC: {remark}");
            if !addr.is_empty() && !namesrv_addrs.iter().any(|a| a == addr) {
                s.push_str(&format!(" BROKER: {addr}"));
            }
            s
        }
        ClientError::NoRoute(topic) => format!(
            "CODE: {}  DESC: No topic route info in name server for the topic: {topic}",
            ferromq_protocol::response_code::TOPIC_NOT_EXIST
        ),
        ClientError::SendFailed { last, .. } => {
            format!("{err}: {}", describe(last, namesrv_addrs))
        }
        other => chain(other),
    }
}

/// `err` and its sources, `: `-separated on one line.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = e.source();
    }
    s.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_errors_read_like_mqadmin() {
        let e = ClientError::Broker {
            code: 17,
            remark: "topic[T] not exist\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ"
                .into(),
            addr: "127.0.0.1:10911".into(),
        };
        assert_eq!(
            describe(&e, &[]),
            "CODE: 17  DESC: topic[T] not exist BROKER: 127.0.0.1:10911"
        );
        assert_eq!(
            describe(&e, &["127.0.0.1:10911".to_string()]),
            "CODE: 17  DESC: topic[T] not exist"
        );
        assert_eq!(
            describe(&ClientError::NoRoute("T".into()), &[]),
            "CODE: 17  DESC: No topic route info in name server for the topic: T"
        );
        assert_eq!(
            describe(&ClientError::InvalidArgument("bad".into()), &[]),
            "invalid argument: bad"
        );
    }
}
