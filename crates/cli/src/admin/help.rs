//! Help text in mqadmin's shapes: the command list `mqadmin` prints with no arguments, and the
//! commons-cli `HelpFormatter` layout (width 110) of `mqadmin help <command>` — a wrapped
//! `usage:` line with options sorted by letter, `[…]` around optional ones and `a | b` for
//! option groups, then one aligned line per option.

use clap::Command;
use ferromq_client::TLS_ENABLE_ENV;

use crate::credentials::{ACCESS_KEY_ENV, SECRET_KEY_ENV};

/// The program name shown in usage lines.
pub const PROGRAM: &str = "ferromq admin";

/// commons-cli's default help width as mqadmin sets it.
const WIDTH: usize = 110;

/// The ids of the argument groups that stand for commons-cli `OptionGroup`s (`-b | -c`, and
/// `updateUser`'s `-p | -s | -t`); clap's own per-struct groups are not rendered.
const OPTION_GROUPS: &[&str] = &["target", "change"];

/// `mqadmin` with no arguments: every command and its description.
pub fn command_list(cmd: &Command) -> String {
    let mut s = String::from("The most commonly used mqadmin commands are:\n");
    for sub in cmd.get_subcommands() {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        s.push_str(&format!("   {:<35} {}\n", sub.get_name(), about));
    }
    s.push_str(&format!(
        "\nSee '{PROGRAM} help <command>' for more information on a specific command.\n\
         Add --json to any command for machine-readable output.\n\
         Brokers with ACL: requests are signed with `{PROGRAM} --access-key AK --secret-key SK <command>`,\n\
         \x20 else {ACCESS_KEY_ENV}/{SECRET_KEY_ENV}, else accessKey/secretKey in $ROCKETMQ_HOME/conf/tools.yml.\n\
         TLS: {TLS_ENABLE_ENV}=true.\n"
    ));
    s
}

/// One option as commons-cli sees it.
struct Opt {
    id: String,
    short: Option<char>,
    long: Option<String>,
    takes_value: bool,
    required: bool,
    help: String,
}

impl Opt {
    /// commons-cli's sort key: the letter, else the long name.
    fn key(&self) -> String {
        match self.short {
            Some(c) => c.to_string(),
            None => self.long.clone().unwrap_or_default(),
        }
    }

    fn usage(&self) -> String {
        let mut s = match self.short {
            Some(c) => format!("-{c}"),
            None => format!("--{}", self.long.as_deref().unwrap_or_default()),
        };
        if self.takes_value {
            s.push_str(" <arg>");
        }
        s
    }
}

fn options(cmd: &Command, globals: &Command) -> Vec<Opt> {
    let mut out: Vec<Opt> = cmd
        .get_arguments()
        .chain(globals.get_arguments().filter(|a| a.is_global_set()))
        .filter(|a| !a.is_positional())
        .map(|a| Opt {
            id: a.get_id().to_string(),
            short: a.get_short(),
            long: a.get_long().map(str::to_string),
            takes_value: a.get_action().takes_values(),
            required: a.is_required_set(),
            help: a.get_help().map(|h| h.to_string()).unwrap_or_default(),
        })
        .collect();
    out.sort_by_key(|o| o.key().to_lowercase());
    out
}

/// `mqadmin help <command>` for the subcommand `name` of `root`.
pub fn command_help(root: &Command, name: &str) -> Option<String> {
    let cmd = root.find_subcommand(name)?;
    let opts = options(cmd, root);
    let groups: Vec<(Vec<String>, bool)> = cmd
        .get_groups()
        .filter(|g| OPTION_GROUPS.contains(&g.get_id().as_str()))
        .map(|g| {
            (
                g.get_args().map(|a| a.to_string()).collect(),
                g.is_required_set(),
            )
        })
        .collect();

    // The usage line: options in key order, a group rendered where its first member sorts.
    let mut usage = format!("usage: {PROGRAM} {}", cmd.get_name());
    let mut done_groups = Vec::new();
    for o in &opts {
        usage.push(' ');
        match groups.iter().position(|(ids, _)| ids.contains(&o.id)) {
            Some(gi) => {
                if done_groups.contains(&gi) {
                    continue;
                }
                done_groups.push(gi);
                let (ids, required) = &groups[gi];
                let members: Vec<String> = opts
                    .iter()
                    .filter(|m| ids.contains(&m.id))
                    .map(Opt::usage)
                    .collect();
                let joined = members.join(" | ");
                if *required {
                    usage.push_str(&joined);
                } else {
                    usage.push_str(&format!("[{joined}]"));
                }
            }
            None if o.required => usage.push_str(&o.usage()),
            None => usage.push_str(&format!("[{}]", o.usage())),
        }
    }
    let mut out = wrap(&usage, 7);
    out.push('\n');

    // The option lines.
    let prefixes: Vec<String> = opts
        .iter()
        .map(|o| {
            let mut p = match (o.short, &o.long) {
                (Some(c), Some(l)) => format!(" -{c},--{l}"),
                (Some(c), None) => format!(" -{c}"),
                (None, l) => format!("    --{}", l.as_deref().unwrap_or_default()),
            };
            if o.takes_value {
                p.push_str(" <arg>");
            }
            p
        })
        .collect();
    let max = prefixes.iter().map(|p| p.len()).max().unwrap_or(0);
    for (o, p) in opts.iter().zip(&prefixes) {
        let line = format!("{p:<max$}   {}", o.help);
        out.push_str(&wrap(&line, max + 3));
        out.push('\n');
    }
    Some(out)
}

/// commons-cli's `renderWrappedText`: break before `WIDTH` at the last space, indenting
/// continuation lines by `indent`.
fn wrap(text: &str, indent: usize) -> String {
    let indent = if indent >= WIDTH { 1 } else { indent };
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let Some(mut pos) = wrap_pos(&chars) else {
        return text.trim_end().to_string();
    };
    out.push_str(chars[..pos].iter().collect::<String>().trim_end());
    out.push('\n');
    let mut rest: Vec<char> = chars[pos..].to_vec();
    loop {
        let trimmed: String = rest.iter().collect::<String>().trim().to_string();
        let line: Vec<char> = " ".repeat(indent).chars().chain(trimmed.chars()).collect();
        match wrap_pos(&line) {
            None => {
                out.push_str(&line.iter().collect::<String>());
                return out;
            }
            Some(p) => {
                pos = if line.len() > WIDTH && p == indent - 1 {
                    WIDTH
                } else {
                    p
                };
                out.push_str(line[..pos].iter().collect::<String>().trim_end());
                out.push('\n');
                rest = line[pos..].to_vec();
            }
        }
    }
}

/// commons-cli's `findWrapPos` from the start of `text`.
fn wrap_pos(text: &[char]) -> Option<usize> {
    if WIDTH >= text.len() {
        return None;
    }
    let mut pos = WIDTH;
    while pos > 0 && text[pos] != ' ' {
        pos -= 1;
    }
    if pos > 0 {
        Some(pos)
    } else {
        Some(WIDTH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_command_with_its_description() {
        let list = command_list(&super::super::cli::command());
        assert!(list.starts_with("The most commonly used mqadmin commands are:\n"));
        assert!(list.contains(&format!(
            "   {:<35} {}\n",
            "clusterList", "List cluster infos."
        )));
        assert_eq!(list.lines().filter(|l| l.starts_with("   ")).count(), 50);
    }

    #[test]
    fn help_has_the_commons_cli_layout() {
        let root = super::super::cli::command();
        let h = command_help(&root, "topicRoute").unwrap();
        let lines: Vec<&str> = h.lines().collect();
        assert_eq!(
            lines[0],
            "usage: ferromq admin topicRoute [-h] [--json] [-l] [-n <arg>] -t <arg>"
        );
        assert_eq!(lines[1], " -h,--help                Print help");
        assert_eq!(
            lines[2],
            format!(
                "{:<26}Print machine-readable JSON instead of mqadmin's tables",
                "    --json"
            )
        );
        assert_eq!(lines[5], " -t,--topic <arg>         topic name");
        let h = command_help(&root, "updateTopic").unwrap();
        assert!(h.contains("[-a <arg>] -b <arg> | -c <arg>  [-h]"), "{h}");
        assert!(h.lines().nth(1).unwrap().starts_with("       "), "{h}");
        assert!(h.lines().all(|l| l.len() <= WIDTH), "{h}");
        assert!(command_help(&root, "nope").is_none());
        // two commons-cli option groups
        let h = command_help(&root, "updateUser").unwrap();
        assert!(
            h.starts_with(
                "usage: ferromq admin updateUser -b <arg> | -c <arg>  [-h] [--json] [-n <arg>] -p <arg> | -s <arg> | -t <arg>"
            ),
            "{h}"
        );
    }

    #[test]
    fn wraps_at_the_last_space_before_the_width() {
        let text = format!("{} {}", "a".repeat(100), "b".repeat(30));
        assert_eq!(
            wrap(&text, 7),
            format!("{}\n       {}", "a".repeat(100), "b".repeat(30))
        );
        assert_eq!(wrap("short  ", 7), "short");
    }
}
